/**
 * sra as a library: the command functions the CLI calls, the pure core (search, roles, n-gram
 * decontamination, export formatting), the LLM adapters, and the records that pass between stages.
 */

export type { DecontaminateOptions, DecontaminateResult } from "./commands/decontaminate.js";
export { DECONTAMINATE_DEFAULTS, decontaminate } from "./commands/decontaminate.js";
export type { ExportCommandOptions } from "./commands/export.js";
export { runExport } from "./commands/export.js";
export type { GenerateConfig, GenerateIo, GenerateOptions, GenerateResult } from "./commands/generate.js";
export { resolveGenerateConfig, runGenerate } from "./commands/generate.js";
export type { MergeOptions, MergeReport } from "./commands/merge.js";
export { runMerge } from "./commands/merge.js";
export type { ModelsOptions, ModelsReport } from "./commands/models.js";
export { listModels } from "./commands/models.js";
export type { StatsOptions } from "./commands/stats.js";
export { runStats } from "./commands/stats.js";
export { NgramIndex } from "./decontaminate/ngram-index.js";
export { overlapOfTexts } from "./decontaminate/overlap.js";
export { tokenize } from "./decontaminate/tokenize.js";
export * from "./errors.js";
// The in-process engine (llama.cpp through node-llama-cpp, loaded only when used) and its model files.
export { EngineError, EngineMissingError, ModelDownloadError } from "./errors.js";
export { exportDataset } from "./export/export-dataset.js";
export type { LlmStackOptions, LlmStackStats } from "./llm/create-llm-stack.js";
export { createLlmStack } from "./llm/create-llm-stack.js";
export { formatEngineBanner } from "./llm/llama-cpp/banner.js";
export { DEFAULT_CONTEXT_SIZE, DEFAULT_PARALLEL, defaultThreads } from "./llm/llama-cpp/defaults.js";
export type {
  LlamaCppDescription,
  LlamaCppEngine,
  LlamaCppLlmOptions,
  LlamaCppStats,
  RequestEvent,
} from "./llm/llama-cpp/llama-cpp-llm.js";
export { createLlamaCppLlm } from "./llm/llama-cpp/llama-cpp-llm.js";
export { engineInstallCommand, importEngine } from "./llm/llama-cpp/load-engine.js";
export type { DownloadProgress, ModelFile, PresetModelFile } from "./llm/llama-cpp/model-file.js";
export {
  defaultModelsDir,
  findCachedModel,
  formatDownloadProgress,
  ggufUri,
  presetModelFiles,
  resolveGguf,
} from "./llm/llama-cpp/model-file.js";
export { createOpenAiLlm } from "./llm/openai-llm.js";
export type { GgufSource, ModelPreset } from "./llm/presets.js";
export { loadPresets, resolveModel } from "./llm/presets.js";
export type { RetryPolicy } from "./llm/retry.js";
export { DEFAULT_RETRY_POLICY, withRetry } from "./llm/retry.js";
export { checkServer } from "./llm/server-check.js";
export type { ChatMessage, CompletionRequest, CompletionResult, Llm, LlmPurpose } from "./llm/types.js";
export type { ReadProblemsOptions, ReadProblemsStats } from "./problems/read-problems.js";
export { problemId, readProblems } from "./problems/read-problems.js";
export * from "./roles/index.js";
export * from "./search/index.js";
export { formatStatsTable } from "./stats/format.js";
export { collectRunStats } from "./stats/read-run.js";
export * from "./types.js";
export type { Rng } from "./util/rng.js";
export { createRng } from "./util/rng.js";
