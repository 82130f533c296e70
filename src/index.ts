/**
 * sra as a library, chosen name by name: the command functions the CLI calls; the plan search over a
 * policy (and the LLM-backed policy); the roles' parsers; the LLM stack; the records between stages
 * and the run directory's contract; the error classes the commands throw. Anything not listed here is
 * internal and may change.
 */

// Running code and evaluating it (the sandboxed executor, benchmark loading, pass@k): what `sra eval`
// and generate's code checks are built on.
export type { EvalBenchmark, EvalTask, TaskTests } from "./benchmarks/eval-tasks.js";
export { EVAL_BENCHMARKS, loadEvalBenchmark } from "./benchmarks/eval-tasks.js";
export type { ExpectedOutputs, ExpectedSet } from "./benchmarks/expected.js";
export { prepareExpected } from "./benchmarks/expected.js";
// Commands (what the CLI calls).
export type { DecontaminateOptions, DecontaminateResult } from "./commands/decontaminate.js";
export { DECONTAMINATE_DEFAULTS, decontaminate } from "./commands/decontaminate.js";
export type { EvalIo, EvalOptions, EvalReport } from "./commands/eval.js";
export { runEval } from "./commands/eval.js";
export type { EvalCompareOptions } from "./commands/eval-compare.js";
export { runEvalCompare } from "./commands/eval-compare.js";
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
// Decontamination (pure core).
export { NgramIndex } from "./decontaminate/ngram-index.js";
export { overlapOfTexts } from "./decontaminate/overlap.js";
export { tokenize } from "./decontaminate/tokenize.js";
// Errors, with the exit code each maps to.
export {
  ConfigError,
  EngineError,
  EngineMissingError,
  EXIT,
  ExecutorError,
  InputError,
  InputErrors,
  InterruptedError,
  isSraError,
  LlmError,
  MergeConflictError,
  ModelDownloadError,
  OutputError,
  ParseError,
  PythonNotFoundError,
  ServerCheckError,
  SraError,
  TooManyFailuresError,
  UsageError,
} from "./errors.js";
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
// Export and stats.
export { exportDataset } from "./export/export-dataset.js";
// Models: the Llm interface, the stack every command uses, presets.
export type {
  LlmStack,
  LlmStackDescription,
  LlmStackOptions,
  LlmStackStats,
} from "./llm/create-llm-stack.js";
export { createLlmStack } from "./llm/create-llm-stack.js";
// The in-process engine (llama.cpp through node-llama-cpp, loaded only when used) and its model files.
export { formatEngineBanner } from "./llm/llama-cpp/banner.js";
export { DEFAULT_CONTEXT_SIZE, DEFAULT_PARALLEL, defaultThreads } from "./llm/llama-cpp/defaults.js";
export { type DownloadProgressPrinter, downloadProgressPrinter } from "./llm/llama-cpp/download-progress.js";
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
export {
  type InProcessOptions,
  openInProcessEngine,
  resolveInProcessModel,
} from "./llm/llama-cpp/open-engine.js";
// The settings every model-calling command shares, and the engine rule.
export {
  chooseEngine,
  DEFAULT_IN_PROCESS_MODEL,
  ENGINE_SETTING,
  type EngineName,
  IN_PROCESS_DEFAULTS,
  LLAMA_CPP_SETTINGS,
  SERVER_SETTINGS,
} from "./llm/llm-settings.js";
export {
  checkLlm,
  checkLlmServers,
  type LlmCheck,
  openLlmStack,
  type ServerReport,
  withCheck,
} from "./llm/open-llm.js";
export { createOpenAiLlm } from "./llm/openai-llm.js";
export type { GgufSource, ModelPreset } from "./llm/presets.js";
export { loadPresets, resolveModel } from "./llm/presets.js";
export type { RetryPolicy } from "./llm/retry.js";
export { DEFAULT_RETRY_POLICY, withRetry } from "./llm/retry.js";
export { checkServer } from "./llm/server-check.js";
export type { ChatMessage, CompletionRequest, CompletionResult, Llm, LlmPurpose } from "./llm/types.js";
// Problems in, records between stages, and the run directory.
export { type ExampleInputs, extractExampleInputs } from "./problems/example-inputs.js";
// generate's code checks: the executor as a compile-and-test checker, and the tests a problem may carry.
export { implementQuestion, readProblemTests } from "./problems/problem-tests.js";
export type { ReadProblemsOptions, ReadProblemsStats } from "./problems/read-problems.js";
export { problemId, readProblems } from "./problems/read-problems.js";
// The model's roles: the LLM-backed policy, the code stage, prompts and reply parsers.
export {
  addUsage,
  cleanStep,
  countingLlm,
  createLlmPolicy,
  extractCode,
  generateCotPlan,
  type ImplementParams,
  type ImplementResult,
  implementPlan,
  loadPromptSet,
  NoCodeError,
  type PromptSet,
  type PromptTemplate,
  parsePlanSteps,
  parseReflection,
  parseScore,
  planWithLlm,
  renderPrompt,
  type SearchContext,
  searchPlan,
} from "./roles/index.js";
export { type CodeChecker, executorChecker } from "./run/code-checks.js";
// The search's Verifier and ExampleRunner over a CodeChecker, bound to one problem (generate's wiring).
export { type CheckedProblem, searchChecks } from "./run/search-checks.js";
export type { RunStats, RunTotals } from "./run-dir/accumulator.js";
export {
  type JournalOptions,
  type JournalStats,
  type JournalUnit,
  openJournal,
  type RequestJournal,
  requestKey,
} from "./run-dir/journal.js";
export { RUN_FILES, runPath } from "./run-dir/layout.js";
export { collectRunStats, computeRunTotals } from "./run-dir/read-run.js";
export { RECORD_SCHEMAS, type RecordKind, type RunRecord, readRunRecords } from "./run-dir/records.js";
// Plan search (pure core): strategies over a policy, the tree and its math.
export {
  addChild,
  backpropagate,
  bestPath,
  COUNTER_KEYS,
  type CodeChecks,
  type CotPolicy,
  Counters,
  type Critic,
  type CritiqueResult,
  createRoot,
  DEFAULT_SEARCH_PARAMS,
  type DraftResult,
  EmptyPlanError,
  type EvaluateResult,
  type Evaluator,
  type ExampleRunner,
  type Implementer,
  type MctsPolicy,
  nodeReward,
  PendingPaths,
  PLAN_STRATEGIES,
  type PlanPolicy,
  type PlanState,
  type ProposeResult,
  type Proposer,
  parseSearchParams,
  planRecords,
  type Reflector,
  type ReflectResult,
  type Reviser,
  runBeam,
  runBestOfN,
  runCot,
  runMcts,
  runRevision,
  runSelfConsistency,
  runSelfRefine,
  runStrategy,
  type SearchParams,
  type SearchProblem,
  STRATEGY_COUNTER_KEYS,
  type StrategyContext,
  type StrategyOutcome,
  type StrategyRunner,
  searchParamsSchema,
  selectPath,
  type TestVerdict,
  ucb1,
  ucb1WithVirtualLoss,
  type Verifier,
} from "./search/index.js";
export { formatStatsTable } from "./stats/format.js";
export {
  type Failure,
  failureSchema,
  formatPlan,
  type NodeScore,
  type PlanRecord,
  type Problem,
  type ProblemTests,
  planRecordSchema,
  type Sample,
  type SampleTests,
  type SearchNode,
  type Strategy,
  sampleSchema,
  sampleTestsSchema,
  searchNodeSchema,
  type TreeRecord,
  treeRecordSchema,
  type Usage,
} from "./types.js";
export { CACHE_KINDS, type CacheKind, cacheDir, cacheRoot, datasetCacheDirs } from "./util/cache-dir.js";
export type { Rng } from "./util/rng.js";
export { createRng } from "./util/rng.js";
