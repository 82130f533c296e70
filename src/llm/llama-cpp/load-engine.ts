/**
 * node-llama-cpp, loaded only when the in-process engine is used. It is an optional dependency (see
 * the README's "Installing"): `npm ci` installs it with its prebuilt binaries, a platform where it
 * cannot be installed still gets a working sra for servers, and `sra stats` or `sra export` never pay
 * the second it takes to load. A missing package is an EngineMissingError that names the command
 * that installs the pinned version; a binary that does not load is an EngineError.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type * as NodeLlamaCpp from "node-llama-cpp";
import { describeError, EngineError, EngineMissingError } from "../../errors.js";
import type { Logger } from "../../util/logger.js";
import { packageRoot } from "../../util/package-root.js";

export type NodeLlamaCppModule = typeof NodeLlamaCpp;
export type Llama = NodeLlamaCpp.Llama;

export const ENGINE_PACKAGE = "node-llama-cpp";

/** The version package.json pins (an exact version: the lock and the registry must agree on it). */
export function pinnedEngineVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as {
    optionalDependencies?: Record<string, string>;
  };
  return pkg.optionalDependencies?.[ENGINE_PACKAGE] ?? "latest";
}

/** The command that installs the engine into sra's own directory. */
export function engineInstallCommand(): string {
  return `npm install --no-save ${ENGINE_PACKAGE}@${pinnedEngineVersion()}`;
}

function isMissingPackage(e: unknown, specifier: string): boolean {
  const err = e as NodeJS.ErrnoException | undefined;
  return (
    (err?.code === "ERR_MODULE_NOT_FOUND" || err?.code === "MODULE_NOT_FOUND") &&
    typeof err.message === "string" &&
    err.message.includes(`'${specifier}'`)
  );
}

/** `import("node-llama-cpp")`, or an EngineMissingError saying how to install it. */
export async function importEngine(specifier: string = ENGINE_PACKAGE): Promise<NodeLlamaCppModule> {
  try {
    return (await import(specifier)) as NodeLlamaCppModule;
  } catch (e) {
    if (isMissingPackage(e, specifier)) {
      throw new EngineMissingError(
        `the in-process engine needs ${ENGINE_PACKAGE}, which is not installed: run \`${engineInstallCommand()}\` in ${packageRoot()}`,
        { cause: e, hint: "or use a server instead: --base-url URL (vLLM, Ollama, llama.cpp's server, ...)" },
      );
    }
    throw new EngineError(`${ENGINE_PACKAGE} is installed but does not load: ${describeError(e)}`, {
      cause: e,
      hint: `reinstall it: ${engineInstallCommand()}`,
    });
  }
}

export interface LoadLlamaOptions {
  /** "auto" uses CUDA, Metal or Vulkan when a prebuilt binary for it loads, else the CPU. */
  gpu: "auto" | false;
  /** The most CPU threads llama.cpp may use (see defaults.ts for why this matters so much). */
  threads: number;
  logger?: Logger;
}

/**
 * llama.cpp's binding, from the prebuilt binaries only: never a build from source (it needs cmake
 * and a compiler, and would start unannounced on the first run). Its log lines go to our log file,
 * not the terminal, where they would break the progress bar.
 */
export async function loadLlama(engine: NodeLlamaCppModule, options: LoadLlamaOptions): Promise<Llama> {
  const logger = options.logger;
  try {
    return await engine.getLlama({
      gpu: options.gpu,
      build: "never",
      maxThreads: options.threads,
      progressLogs: false,
      logLevel: engine.LlamaLogLevel.warn,
      logger: (level, message) => {
        const text = message.trim();
        if (text === "") return;
        if (level === "error" || level === "fatal") logger?.error({ engine: "llama.cpp" }, text);
        else logger?.warn({ engine: "llama.cpp" }, text);
      },
    });
  } catch (e) {
    throw new EngineError(`cannot load llama.cpp's prebuilt binary: ${describeError(e)}`, {
      cause: e,
      hint: `the platform package (@node-llama-cpp/${process.platform}-${process.arch}) may be missing: ${engineInstallCommand()}`,
    });
  }
}
