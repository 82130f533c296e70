/**
 * The in-process engine as the LLM stack's base model (src/llm/create-llm-stack.ts), in two steps a
 * command can take apart, like a server's check and its stack:
 *
 *   resolveInProcessModel   node-llama-cpp installed? the model file: --gguf, the cache, or a
 *                           download with progress (offline: one ModelDownloadError line)
 *   openInProcessEngine     load llama.cpp, the model and one context of `parallel` sequences
 *
 * No endpoint pool, outage gate or server check: the engine is in this process.
 */
import type { Logger } from "../../util/logger.js";
import type { GgufSource } from "../presets.js";
import { createLlamaCppLlm, type LlamaCppEngine } from "./llama-cpp-llm.js";
import { importEngine } from "./load-engine.js";
import { type DownloadProgress, type ModelFile, resolveGguf } from "./model-file.js";

export interface InProcessOptions {
  /** --gguf: a local file used as it is; null: the model's GGUF source. */
  localPath: string | null;
  /** The preset's name (for messages) and GGUF source. */
  model: { name: string; gguf?: GgufSource };
  /** Where the sources are downloaded to and found (the cache's models folder). */
  modelsDir: string;
  parallel: number;
  /** null: defaultThreads() of this machine. */
  threads: number | null;
  contextSize: number;
  gpu: "auto" | false;
  /** The model file once resolved (resolveInProcessModel); without it, opening the stack resolves it. */
  file?: ModelFile;
  /** A download's progress (only a preset's source not yet cached is downloaded). */
  onDownloadProgress?: (progress: DownloadProgress) => void;
  /** Aborts a download or the model's loading. */
  signal?: AbortSignal;
}

/** The engine's package and the model file, before anything is loaded: what a server check is to a server. */
export async function resolveInProcessModel(o: InProcessOptions): Promise<ModelFile> {
  if (o.file) return o.file;
  const engine = await importEngine();
  return resolveGguf(engine, {
    ...(o.localPath !== null ? { localPath: o.localPath } : {}),
    model: o.model,
    modelsDir: o.modelsDir,
    ...(o.onDownloadProgress ? { onProgress: o.onDownloadProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

/** The loaded engine and the file it runs. */
export interface InProcessEngine {
  engine: LlamaCppEngine;
  file: ModelFile;
}

/** Resolve the model file (unless given) and load the engine on it. */
export async function openInProcessEngine(
  o: InProcessOptions,
  extra: { systemRole: boolean; timeoutMs: number; logger?: Logger | undefined },
): Promise<InProcessEngine> {
  const file = await resolveInProcessModel(o);
  const engine = await createLlamaCppLlm({
    modelPath: file.path,
    systemRole: extra.systemRole,
    parallel: o.parallel,
    ...(o.threads !== null ? { threads: o.threads } : {}),
    contextSize: o.contextSize,
    gpu: o.gpu,
    timeoutMs: extra.timeoutMs,
    ...(extra.logger ? { logger: extra.logger } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  return { engine, file };
}
