/**
 * The start-up line that says the in-process engine runs, on what model file and how. Pure.
 */
import type { LlamaCppDescription } from "./llama-cpp-llm.js";
import type { ModelOrigin } from "./model-file.js";

const ORIGIN: Record<ModelOrigin, string> = { local: "--gguf", cache: "cached", download: "downloaded" };

/** "1.2 GB", "398 MB", "25.5 MB": a file size in decimal units. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e8) return `${Math.round(bytes / 1e6)} MB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * e.g. "model /m/qwen2.5-0.5b-instruct-q4_k_m.gguf (398 MB, cached) in process: llama.cpp on the CPU,
 * 1 thread, 4 sequences x 4096 tokens, chat template ChatML"
 */
export function formatEngineBanner(d: LlamaCppDescription, origin: ModelOrigin): string {
  const device = d.gpu === false ? "the CPU" : `the GPU (${d.gpu})`;
  const threads = `${d.threads} thread${d.threads === 1 ? "" : "s"}`;
  return (
    `model ${d.modelPath} (${formatBytes(d.modelBytes)}, ${ORIGIN[origin]}) in process: llama.cpp on ${device}, ` +
    `${threads}, ${d.parallel} sequence${d.parallel === 1 ? "" : "s"} x ${d.contextSize} tokens, chat template ${d.chatWrapper}`
  );
}
