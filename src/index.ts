/**
 * sra as a library: the command functions the CLI calls, the pure core (search, roles, n-gram
 * decontamination, export formatting), the LLM adapters, and the records that pass between stages.
 */

// Running code and evaluating it (the sandboxed executor, benchmark loading, pass@k): what `sra eval`
// and generate's code checks are built on.
export type { EvalBenchmark, EvalTask, TaskTests } from "./benchmarks/eval-tasks.js";
export { EVAL_BENCHMARKS, loadEvalBenchmark } from "./benchmarks/eval-tasks.js";
export type { ExpectedOutputs, ExpectedSet } from "./benchmarks/expected.js";
export { prepareExpected } from "./benchmarks/expected.js";
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
export type { CompareRun, CompareTable } from "./eval/compare-table.js";
export { compareTable, formatCompareMarkdown, formatCompareText } from "./eval/compare-table.js";
export type { EvalSample, EvaluateOptions, Evaluation } from "./eval/evaluate.js";
export { evaluateSamples } from "./eval/evaluate.js";
export { meanPassAtK, PASS_AT_K, passAtK } from "./eval/pass-at-k.js";
export type { EvalResult, EvalSummary } from "./eval/records.js";
export { EvalResultSchema, EvalSummarySchema } from "./eval/records.js";
export { formatSample, parseSamples } from "./eval/samples-format.js";
export type { Extraction, Sanitized } from "./eval/sanitize.js";
export { sanitize } from "./eval/sanitize.js";
export type { ExecutorOptions } from "./execute/executor.js";
export { Executor } from "./execute/executor.js";
export { EVALPLUS_LIMITS, perInputLimits, setDeadline } from "./execute/limits.js";
export type {
  AssertCheck,
  CheckFailure,
  CheckStatus,
  FunctionCheck,
  SandboxReport,
  StdioCheck,
  Verdict,
} from "./execute/types.js";
export { exportDataset } from "./export/export-dataset.js";
export type { LlmStackOptions, LlmStackStats } from "./llm/create-llm-stack.js";
export { createLlmStack } from "./llm/create-llm-stack.js";
export { createOpenAiLlm } from "./llm/openai-llm.js";
export type { ModelPreset } from "./llm/presets.js";
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
