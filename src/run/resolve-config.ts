/**
 * Everything generate settles before it touches the run directory: the resolved config (option
 * table defaults, preset, --config, flags; src/run/config.ts), the prompts and their hash, the API key
 * from the environment, and the check that a resumed run's saved config.json agrees on every setting
 * that changes results.
 */
import * as path from "node:path";
import { ConfigError, UsageError } from "../errors.js";
import type { LlmStackOptions } from "../llm/create-llm-stack.js";
import { checkLocalGguf, defaultModelsDir } from "../llm/llama-cpp/model-file.js";
import type { InProcessOptions } from "../llm/llama-cpp/open-engine.js";
import { loadPresets, resolveModel } from "../llm/presets.js";
import {
  hashPromptTemplates,
  loadPromptSet,
  type PromptName,
  type PromptSet,
  promptsUsed,
} from "../roles/prompts.js";
import { readSavedConfig } from "../run-dir/config-file.js";
import { valueAt } from "../util/option-table.js";
import { VERSION } from "../version.js";
import {
  defaultSettings,
  diffRunConfigs,
  formatDifference,
  type RunConfig,
  readSettingsFile,
  resolveRunConfig,
  type Settings,
  withSavedEngine,
} from "./config.js";
import { PLACEHOLDER_API_KEY } from "./generate-settings.js";

/** Where a run's settings come from, above the defaults and the preset. */
export interface ConfigSources {
  /** The flags, as the top settings layer. */
  settings: Settings;
  /** --config file. */
  configFile?: string;
  /** configs/models.json by default. */
  presetsFile?: string;
  /** The command's own required options that were not given, reported with any missing setting. */
  missing?: readonly string[];
}

/**
 * sha256 of the parsed texts of the prompt files a run uses (`names`, default the core five: see
 * promptsUsed), in a fixed order.
 */
export function hashPromptSet(
  prompts: PromptSet,
  names: readonly PromptName[] = promptsUsed({ strategy: "mcts", codeStyle: "plain" }),
): string {
  return hashPromptTemplates(names.map((name) => [name, prompts[name]] as const));
}

/** Paths in a --config file are relative to that file, as in tsconfig.json (flags: to the cwd). */
function resolveSettingsPaths(s: Settings, base: string): Settings {
  const out: Settings = { ...s };
  if (out.input?.problems !== undefined)
    out.input = { ...out.input, problems: path.resolve(base, out.input.problems) };
  if (typeof out.promptsDir === "string") out.promptsDir = path.resolve(base, out.promptsDir);
  if (typeof out.llamaCpp?.gguf === "string")
    out.llamaCpp = { ...out.llamaCpp, gguf: path.resolve(base, out.llamaCpp.gguf) };
  if (typeof out.prompts?.dir === "string")
    out.prompts = { ...out.prompts, dir: path.resolve(base, out.prompts.dir) };
  return out;
}

/** Resolve every layer into the run's config (no I/O beyond reading the config/preset/prompt files). */
export async function resolveConfig(
  sources: ConfigSources,
  env: Record<string, string | undefined>,
  now: Date,
): Promise<{ config: RunConfig; prompts: PromptSet }> {
  const file = sources.configFile
    ? resolveSettingsPaths(await readSettingsFile(sources.configFile), path.dirname(sources.configFile))
    : undefined;
  const presets = await loadPresets(sources.presetsFile);
  let prompts: PromptSet | undefined;
  const config = await resolveRunConfig({
    file,
    flags: sources.settings,
    env,
    resolveModel: (name) => resolveModel(name, presets),
    promptsHash: async (dir, run) => {
      prompts = await loadPromptSet(dir ?? undefined);
      return hashPromptSet(prompts, promptsUsed(run));
    },
    localGguf: async (gguf) => {
      const file = await checkLocalGguf(gguf);
      return { path: file.path, bytes: file.bytes };
    },
    sraVersion: VERSION,
    now,
    ...(sources.missing ? { missing: sources.missing } : {}),
  });
  if (!prompts) throw new Error("prompts were not loaded");
  return { config, prompts };
}

/**
 * The API key from the environment. A variable named on purpose (flag or --config) must be set; the
 * default one may be unset (a local server without a key), and then PLACEHOLDER_API_KEY is sent.
 */
export function readApiKey(
  config: Pick<RunConfig, "server">,
  env: Record<string, string | undefined>,
): string {
  const name = config.server.apiKeyEnv;
  const value = env[name];
  if (value !== undefined && value !== "") return value;
  if (name !== valueAt(defaultSettings(), "server.apiKeyEnv")) {
    throw new UsageError(`--api-key-env ${name}: that environment variable is not set`, {
      hint: `export ${name}=... first, or leave --api-key-env out for a local server without a key`,
    });
  }
  return PLACEHOLDER_API_KEY;
}

/**
 * Compare with the run directory's saved config. Fields that change results must agree (or the run
 * would mix two settings); the rest (speed, selection) may change. Returns the saved createdAt.
 */
export async function checkSavedConfig(dir: string, config: RunConfig): Promise<string | undefined> {
  const read = await readSavedConfig(dir);
  if (read.status === "missing") return undefined;
  const file = read.file;
  if (read.status === "invalid") {
    const why = read.reason === "type" ? "wrong type" : read.error;
    throw new ConfigError([`not a JSON object: ${why}`], file, {
      hint: "the run's config.json is damaged; restore it or start a new --out directory",
    });
  }
  const saved = withSavedEngine(read.raw);
  const diffs = diffRunConfigs(saved, config);
  if (diffs.length > 0) {
    throw new ConfigError(diffs.map(formatDifference), file, {
      hint:
        engineHint(saved, config) ??
        "these settings change the results, so this run cannot be resumed with them: " +
          `rerun with the saved ones (drop those flags, or add --config ${file}), or write to a new --out directory`,
    });
  }
  return read.config.createdAt;
}

/** The sections of a command's config the LLM stack is opened from. */
export type LlmSections = Pick<RunConfig, "engine" | "server" | "model" | "llamaCpp"> & {
  search?: { guided: boolean };
};

/**
 * When a run made on a server is resumed without one: sra used to assume http://localhost:8000/v1,
 * so say which server the run used.
 */
function engineHint(saved: Record<string, unknown>, config: RunConfig): string | undefined {
  if (saved.engine !== "openai" || config.engine !== "llama-cpp") return undefined;
  const urls = valueAt(saved, "server.baseUrls");
  const list = Array.isArray(urls) ? urls.filter((u): u is string => typeof u === "string") : [];
  const flags = list.length > 0 ? list.map((u) => `--base-url ${u}`).join(" ") : "--base-url URL";
  return `this run was made on a server; without --base-url (or $OPENAI_BASE_URL) sra now runs the model in process: add ${flags}`;
}

/**
 * What the LLM stack is given for a run (generate's, or any command's with the same engine, server
 * and model sections: eval's); the command adds its logger and clock when it opens it, and, in
 * process, the download progress and the model file once it is resolved.
 */
export function llmStackOptions(
  config: LlmSections,
  apiKey: string,
  env: Record<string, string | undefined> = process.env,
): LlmStackOptions {
  return {
    engine: config.engine,
    ...(config.engine === "llama-cpp" ? { inProcess: inProcessOptions(config, env) } : {}),
    endpoints: config.server.baseUrls,
    apiKey,
    model: config.model.servedModel,
    systemRole: config.model.systemRole,
    timeoutMs: Math.round(config.server.timeoutSec * 1000),
    retry: config.server.retry,
    maxOutageMs: Math.round(config.server.maxOutageSec * 1000),
    maxRequests: config.server.maxRequests,
    adaptive: config.server.adaptive,
    guided: config.search?.guided ? "vllm" : "off",
  };
}

/** The in-process engine's options: the model file (--gguf or the preset's source) and its settings. */
function inProcessOptions(config: LlmSections, env: Record<string, string | undefined>): InProcessOptions {
  const gguf = config.model.gguf;
  const l = config.llamaCpp;
  return {
    localPath: l.gguf,
    model: { name: config.model.name, ...(gguf && "repo" in gguf ? { gguf } : {}) },
    modelsDir: defaultModelsDir(env),
    parallel: l.parallel,
    threads: l.threads,
    contextSize: l.contextSize,
    gpu: l.gpu === "off" ? false : "auto",
  };
}
