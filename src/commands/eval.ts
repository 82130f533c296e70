/**
 * `sra eval`: score a model (or a file of samples) on HumanEval(+), MBPP(+) or a benchmark file of your
 * own, with evalplus's verdicts and pass@k. The command reads as its steps:
 *
 *   prepare   resolve + validate the config, the prompts, the API key; read --samples; load each
 *             benchmark and select its tasks (--limit, --only-unsolved)
 *   plan      per benchmark folder: lock it, compare its saved config.json, read what it holds
 *             (samples and verdicts, by task and index), list what is left to generate and check
 *   start     the executor (python), then the server check, before any folder is written
 *   folders   one after another (src/eval/run-folder.ts): generate, check, write summary.json
 *   finish    the results table on stdout; the stop cause to the exit code
 *
 * Each step before the folders can fail fast, before any model call.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { benchmarkFileOf, type EvalBenchmark, loadEvalBenchmark } from "../benchmarks/eval-tasks.js";
import { type DatasetSources, datasetCaches, sha256Of } from "../benchmarks/files.js";
import {
  cannotReadError,
  IncompleteEvalError,
  InterruptedError,
  TooManyFailuresError,
  UsageError,
} from "../errors.js";
import {
  damagedConfigError,
  type EvalConfig,
  type EvalSettings,
  evalResultFields,
  readEvalSettingsFile,
  resolveEvalConfig,
  withSavedDefaults,
} from "../eval/eval-config.js";
import type { SampleJob } from "../eval/generate-samples.js";
import { type EvalPromptSet, hashEvalPrompts, loadEvalPrompts } from "../eval/prompts.js";
import { type Folder, type FolderContext, type FolderOutcome, runFolder } from "../eval/run-folder.js";
import { formatBenchmarkLine, formatResultsTable } from "../eval/run-summary.js";
import { readSolved, samplesFor, withTasks } from "../eval/select-tasks.js";
import { benchmarkFolder, EVAL_FILES } from "../eval-dir/layout.js";
import { readResults, readSampleLines, sampleKey } from "../eval-dir/records.js";
import { Executor } from "../execute/executor.js";
import { workersOf } from "../execute/settings.js";
import { createLlmStack, type LlmStack, type LlmStackOptions } from "../llm/create-llm-stack.js";
import { downloadProgressPrinter } from "../llm/llama-cpp/download-progress.js";
import { checkLocalGguf } from "../llm/llama-cpp/model-file.js";
import { checkLlm, type LlmCheck, withCheck } from "../llm/open-llm.js";
import { loadPresets, resolveModel } from "../llm/presets.js";
import { diffResultFields, formatDifference, ggufIdentity } from "../run/config.js";
import { PLACEHOLDER_API_KEY } from "../run/generate-settings.js";
import { createRunStop, installInterruptHandlers, type RunStop } from "../run/interrupt.js";
import type { ProgressStream } from "../run/progress.js";
import { type LlmSections, llmStackOptions, readApiKey } from "../run/resolve-config.js";
import { acquireRunLock, type RunLock } from "../run/run-lock.js";
import { readSavedConfig } from "../run-dir/config-file.js";
import { cacheRoot } from "../util/cache-dir.js";
import { createLogger, type LogLevel } from "../util/logger.js";
import { checkDirPath } from "../util/output-dir.js";
import { VERSION } from "../version.js";

export interface EvalOptions {
  /** The eval directory: one subfolder per benchmark. */
  out: string;
  /** The flags, as the top settings layer. */
  settings: EvalSettings;
  configFile?: string;
  logLevel?: LogLevel;
  progress?: boolean;
  presetsFile?: string;
}

export interface EvalIo {
  stderr: ProgressStream;
  /** Where the results table goes (default: nowhere). */
  stdout?: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  now?: () => number;
  /** Aborting this stops the run like Ctrl-C. */
  signal?: AbortSignal;
  handleSignals?: boolean;
  /** How each folder's LLM stack is made (default createLlmStack): tests give it a clock. */
  llmStack?: (options: LlmStackOptions) => LlmStack | Promise<LlmStack>;
}

export interface EvalReport {
  config: EvalConfig;
  folders: FolderOutcome[];
}

interface Prepared {
  out: string;
  config: EvalConfig;
  prompts: EvalPromptSet | undefined;
  apiKey: string | undefined;
  /** The cache root (datasets/, expected/ below it). */
  cacheDir: string;
  benchmarks: { folder: string; full: EvalBenchmark; benchmark: EvalBenchmark }[];
  /** --samples: the file's text. */
  samplesText: string | undefined;
  now: () => number;
}

/** Run `sra eval`. Throws InterruptedError (130), TooManyFailuresError / IncompleteEvalError (1). */
export async function runEval(options: EvalOptions, io: EvalIo): Promise<EvalReport> {
  const locks: RunLock[] = [];
  try {
    const run = await prepare(options, io);
    const folders = await Promise.all(run.benchmarks.map((b) => planFolder(run, b, locks)));
    return await runFolders(run, folders, options, io, locks);
  } finally {
    await Promise.all(locks.map((l) => l.release()));
  }
}

async function prepare(options: EvalOptions, io: EvalIo): Promise<Prepared> {
  const now = io.now ?? Date.now;
  const out = path.resolve(options.out);
  const file = options.configFile ? await readEvalSettingsFile(options.configFile) : undefined;
  const presets = await loadPresets(options.presetsFile);
  const config = resolveEvalConfig({
    flags: options.settings,
    ...(file ? { file } : {}),
    env: io.env,
    resolveModel: (name) => resolveModel(name, presets),
    sraVersion: VERSION,
    now: new Date(now()),
  });
  let prompts: EvalPromptSet | undefined;
  let samplesText: string | undefined;
  if (config.prompts) {
    prompts = await loadEvalPrompts(config.prompts.dir, config.generation?.promptStyle);
    config.prompts.hash = hashEvalPrompts(prompts);
  }
  if (config.samples) {
    let data: Buffer;
    try {
      data = await fsp.readFile(config.samples.file);
    } catch (e) {
      throw cannotReadError(e, "samples file", { file: config.samples.file });
    }
    config.samples.sha256 = sha256Of(data);
    samplesText = data.toString("utf8");
  }
  const apiKey = config.source === "model" ? readApiKey(config, io.env) : undefined;
  if (config.engine === "llama-cpp" && config.model) {
    // Which model file runs, in config.json: a resumed folder must be scored by the same one.
    const preset = resolveModel(config.model.name, presets);
    config.model.gguf = await ggufIdentity({ llamaCpp: config.llamaCpp, model: config.model }, preset, (f) =>
      checkLocalGguf(f).then((m) => ({ path: m.path, bytes: m.bytes })),
    );
  }
  await checkDirPath(out, "--out");
  // The cache root: datasets/ for the benchmarks, expected/ for the canonical outputs.
  const cacheDir = cacheRoot(io.env, config.datasets.cacheDir ?? undefined);
  const sources: DatasetSources = {
    dirs: [config.datasets.dir, io.env.SRA_DATASETS_DIR].filter((d): d is string => !!d),
    ...datasetCaches(io.env, cacheDir),
    baseUrl: config.datasets.url ?? (io.env.SRA_DATASETS_URL || undefined),
    notify: (message) => io.stderr.write(`sra eval: ${message}\n`),
  };
  const benchmarks = await loadBenchmarks(config, sources);
  return { out, config, prompts, apiKey, cacheDir, benchmarks, samplesText, now };
}

/** Every --benchmarks entry loaded (before any model call) and its tasks selected. */
async function loadBenchmarks(config: EvalConfig, sources: DatasetSources): Promise<Prepared["benchmarks"]> {
  const seen = new Map<string, string>();
  const out: Prepared["benchmarks"] = [];
  for (const name of config.benchmarks) {
    // apps:FILE's folder is the file's, as a plain path's.
    const folder = benchmarkFolder(benchmarkFileOf(name)?.file ?? name);
    if (seen.has(folder)) {
      throw new UsageError(
        `--benchmarks: ${seen.get(folder)} and ${name} would share the folder "${folder}"`,
        {
          hint: "rename one of the files",
        },
      );
    }
    seen.set(folder, name);
    const full = await loadEvalBenchmark(name, sources);
    const limit = config.input.limit;
    let benchmark = withTasks(full, (_id, i) => limit === null || i < limit);
    if (config.input.onlyUnsolved !== null) {
      const solved = await readSolved(config.input.onlyUnsolved, folder, full);
      if (solved.otherFile) {
        sources.notify(
          `note: ${folder}: ${solved.file} scored ${solved.otherFile}, another file than ${full.file}`,
        );
      }
      benchmark = withTasks(benchmark, (id) => !solved.ids.has(id));
    }
    out.push({ folder, full, benchmark });
  }
  return out;
}

/**
 * A benchmark's folder: locked when it exists, its saved config.json compared with this run's, its
 * records read, and the samples left to generate listed.
 */
async function planFolder(
  run: Prepared,
  b: Prepared["benchmarks"][number],
  locks: RunLock[],
): Promise<Folder> {
  const dir = path.join(run.out, b.folder);
  await checkDirPath(dir, "--out");
  const existed = (await fsp.stat(dir).catch(() => undefined))?.isDirectory() ?? false;
  if (existed) locks.push(await acquireRunLock(dir, { fileName: EVAL_FILES.lock, holder: "sra eval" }));
  const config = {
    ...run.config,
    benchmark: {
      name: b.full.name,
      file: b.full.file,
      sha256: b.full.sha256,
      origin: b.full.origin,
      tasks: b.full.tasks.length,
      selected: b.benchmark.tasks.length,
    },
  };
  const saved = await readSavedConfig(dir);
  if (saved.status === "invalid") {
    throw damagedConfigError(saved.file, saved.reason === "type" ? "wrong type" : saved.error);
  }
  if (saved.status === "ok") {
    const diffs = diffResultFields(withSavedDefaults(saved.raw), config, evalResultFields(config.engine));
    if (diffs.length > 0) {
      throw new UsageError(
        `${saved.file}: this folder was scored with other settings\n${diffs.map((d) => `  ${formatDifference(d)}`).join("\n")}`,
        {
          hint: "these settings change the samples or their verdicts: rerun with the saved ones, or write to a new --out directory",
        },
      );
    }
    if (saved.config.createdAt) config.createdAt = saved.config.createdAt;
  }
  const [samples, results] = existed
    ? await Promise.all([readSampleLines(dir), readResults(dir)])
    : [
        { records: new Map(), repeated: 0 },
        { records: new Map(), repeated: 0 },
      ];
  const known = (id: string) => run.benchmarks.some((x) => x.full.tasks.some((t) => t.taskId === id));
  const given =
    run.samplesText !== undefined && run.config.samples
      ? samplesFor(run.samplesText, run.config.samples.file, b.full, known)
      : undefined;
  const n = run.config.generation?.n ?? 0;
  const jobs: SampleJob[] = [];
  for (const task of b.benchmark.tasks) {
    for (let index = 0; index < n; index++) {
      if (!samples.records.has(sampleKey(task.taskId, index))) jobs.push({ task, index });
    }
  }
  return {
    folder: b.folder,
    dir,
    full: b.full,
    benchmark: b.benchmark,
    config,
    samples,
    results,
    // All of the benchmark's samples: the folder's copy must serve a later run with other tasks.
    given: given?.samples,
    unknown: given?.unknown ?? [],
    jobs,
    existed,
  };
}

/** How many selected samples a folder has yet to check (those still to generate included). */
function toCheck(f: Folder): number {
  const ids = new Set(f.benchmark.tasks.map((t) => t.taskId));
  const n = f.config.generation?.n;
  const present =
    f.samples.records.size > 0 || !f.given
      ? [...f.samples.records.values()].map((s) => ({ taskId: s.task_id, index: s.index }))
      : f.given;
  const keys = present
    .filter((s) => ids.has(s.taskId) && (n === undefined || s.index < n))
    .map((s) => sampleKey(s.taskId, s.index));
  return keys.filter((k) => !f.results.records.has(k)).length + f.jobs.length;
}

function formatStart(run: Prepared, folders: readonly Folder[]): string {
  const c = run.config;
  const g = c.generation;
  const where =
    c.engine === "llama-cpp"
      ? `in process (llama.cpp, ${c.llamaCpp.gguf ?? "the preset's GGUF"})`
      : `at ${c.server.baseUrls.join(", ")}`;
  const what = c.model
    ? `model ${c.model.servedModel} ${where}; n ${g?.n}, ${g?.greedy ? "greedy" : `temperature ${g?.temperature}, top-p ${g?.topP}`}` +
      (g?.instruction !== null && g?.instruction !== undefined
        ? `, instruction "${g.instruction.slice(0, 40)}${g.instruction.length > 40 ? "…" : ""}"`
        : "") +
      (g?.promptStyle === "mot" ? ", MoT prompts (--prompt-style mot)" : "")
    : `samples from ${c.samples?.file}`;
  const lines = folders.map((f) => {
    const have = f.samples.records.size;
    return (
      `  ${f.folder}: ${f.benchmark.tasks.length} of ${f.full.tasks.length} tasks; ` +
      (c.source === "model" ? `${f.jobs.length} samples to generate (${have} there), ` : "") +
      `${toCheck(f)} to check`
    );
  });
  return `sra eval: ${folders.length} benchmark${folders.length === 1 ? "" : "s"} into ${run.out}; ${what}\n${lines.join("\n")}\n`;
}

async function runFolders(
  run: Prepared,
  folders: Folder[],
  options: EvalOptions,
  io: EvalIo,
  locks: RunLock[],
): Promise<EvalReport> {
  const { config } = run;
  const stop = createRunStop();
  const onAbort = () => stop.stop("interrupted", "aborted by the caller");
  io.signal?.addEventListener("abort", onAbort, { once: true });
  if (io.signal?.aborted) onAbort();
  const needsCheck = folders.some((f) => toCheck(f) > 0);
  const executor = needsCheck
    ? await Executor.start({ python: config.execute.python, workers: workersOf(config.execute.workers) })
    : undefined;
  const interrupt = io.handleSignals
    ? installInterruptHandlers((signal) => {
        io.stderr.write(
          `\nsra: ${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping; finished samples and verdicts are kept (press Ctrl-C again to exit at once)\n`,
        );
        stop.stop("interrupted", signal);
      })
    : undefined;
  const outcomes: FolderOutcome[] = [];
  try {
    const check = await checkTheModel(run, folders, io);
    const warnings = check.warnings;
    io.stderr.write(formatStart(run, folders));
    for (const w of warnings) io.stderr.write(`sra: warning: ${w}\n`);
    if (executor)
      io.stderr.write(
        `  executor: ${executor.workers} workers, Python ${executor.python.version} (${executor.python.executable}); network: ${executor.sandbox.network}\n`,
      );
    const ctx = folderContext(run, options, io, { stop, executor, locks, check });
    for (const f of folders) {
      if (stop.signal.aborted) break;
      const outcome = await runFolder(f, ctx);
      outcomes.push(outcome);
      io.stderr.write(`${formatBenchmarkLine(f.folder, outcome.summary)}\n`);
    }
  } finally {
    interrupt?.dispose();
    io.signal?.removeEventListener("abort", onAbort);
    await executor?.close();
  }
  return finish(run, outcomes, stop, io);
}

/** The LLM sections of a model-mode config, as generate's llmStackOptions takes them. */
function llmSections(config: EvalConfig): LlmSections | undefined {
  if (!config.model || !config.engine) return undefined;
  return { engine: config.engine, server: config.server, model: config.model, llamaCpp: config.llamaCpp };
}

/**
 * The model, before any folder is written, when something is to be generated: the servers serve it
 * (unreachable, 401, not served: exit 1 now), or in process the engine loads and the model file is
 * there (downloaded now, with its progress on stderr; Ctrl-C ends a download with exit 130).
 */
async function checkTheModel(run: Prepared, folders: readonly Folder[], io: EvalIo): Promise<LlmCheck> {
  const sections = llmSections(run.config);
  if (!sections || !run.apiKey || !folders.some((f) => f.jobs.length > 0)) return { warnings: [] };
  const download = downloadProgressPrinter(io.stderr);
  const interrupted = new AbortController();
  const interrupt = io.handleSignals
    ? installInterruptHandlers(() =>
        interrupted.abort(
          new InterruptedError("interrupted before the first sample (checking or downloading the model)", {
            hint: "rerun the same command",
          }),
        ),
      )
    : undefined;
  const signal = io.signal ? AbortSignal.any([io.signal, interrupted.signal]) : interrupted.signal;
  try {
    const o = llmStackOptions(sections, run.apiKey, io.env);
    return await checkLlm(
      o.inProcess
        ? { ...o, inProcess: { ...o.inProcess, onDownloadProgress: download.onProgress, signal } }
        : o,
    );
  } finally {
    download.end();
    interrupt?.dispose();
  }
}

function folderContext(
  run: Prepared,
  options: EvalOptions,
  io: EvalIo,
  parts: { stop: RunStop; executor: Executor | undefined; locks: RunLock[]; check: LlmCheck },
): FolderContext {
  const { apiKey } = run;
  const { stop, executor, locks, check } = parts;
  const now = run.now;
  const secrets = apiKey && apiKey !== PLACEHOLDER_API_KEY ? [apiKey] : [];
  const sections = llmSections(run.config);
  return {
    stderr: io.stderr,
    progress: options.progress ?? true,
    now,
    stop,
    executor,
    cacheDir: run.cacheDir,
    prompts: run.prompts,
    // The stack as generate opens it: the check's findings (the model file) kept, Ctrl-C ends a load.
    openStack:
      sections && apiKey
        ? async (logger) => {
            const o = withCheck(llmStackOptions(sections, apiKey, io.env), check);
            return (io.llmStack ?? createLlmStack)({
              ...o,
              ...(o.inProcess ? { inProcess: { ...o.inProcess, signal: stop.signal } } : {}),
              logger,
              now,
            });
          }
        : undefined,
    openLogger: (dir) =>
      createLogger({ level: options.logLevel ?? "info", file: path.join(dir, EVAL_FILES.log), secrets }),
    lock: async (dir) => {
      locks.push(await acquireRunLock(dir, { fileName: EVAL_FILES.lock, holder: "sra eval" }));
    },
  };
}

function finish(run: Prepared, outcomes: FolderOutcome[], stop: RunStop, io: EvalIo): EvalReport {
  if (outcomes.length > 0) {
    io.stdout?.write(
      `${formatResultsTable(outcomes.map((o) => ({ folder: o.folder, summary: o.summary })))}\n`,
    );
  }
  const { stopped } = stop;
  if (stopped.cause === "interrupted") {
    throw new InterruptedError("interrupted: finished samples and verdicts are kept", {
      hint: "rerun the same command to resume",
    });
  }
  if (stopped.cause === "max-failures") {
    throw new TooManyFailuresError(`${stopped.detail ?? "too many samples failed"}; finished work is kept`, {
      hint: "see eval.log in each benchmark's folder; fix the cause, then rerun the same command",
    });
  }
  const missing = outcomes.reduce((n, o) => n + (o.summary.run?.missing_samples ?? 0), 0);
  if (missing > 0) {
    throw new IncompleteEvalError(`${missing} samples could not be generated; the rest are scored`, {
      hint: "see eval.log in each benchmark's folder; rerun the same command to ask for the missing samples",
    });
  }
  return { config: run.config, folders: outcomes };
}
