/**
 * `sra generate`: problems -> search (SRA-MCTS or the CoT baseline) -> plans -> code -> samples, into
 * an append-only, resumable run directory (src/run-dir/). The command reads as its five steps:
 *
 *   prepare    resolve + validate the config, the API key; lock the run dir; compare its saved
 *              config.json; read what it holds (ids only)
 *   select     validate the whole problems file and select (limit, shard, resume)
 *   open       make the run dir writable, check the server(s), write config.json, open the log and
 *              the record files
 *   pool       run the selected problems through a bounded pool (src/run/worker.ts)
 *   finish     write summary.json, print the summary, map the stop cause to the exit
 *
 * Each step before the pool can fail fast, before any model call. The search, the roles and the LLM
 * stack come in through src/run/engine.ts and src/llm/.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { describeError, InterruptedError, TooManyFailuresError } from "../errors.js";
import { workersOf } from "../execute/settings.js";
import { createLlmStack, type LlmStack, type LlmStackOptions } from "../llm/create-llm-stack.js";
import { downloadProgressPrinter } from "../llm/llama-cpp/download-progress.js";
import type { DownloadProgress } from "../llm/llama-cpp/model-file.js";
import { checkLlm, type LlmCheck, withCheck } from "../llm/open-llm.js";
import type { PromptSet } from "../roles/prompts.js";
import { formatBanner, formatReadNotes } from "../run/banner.js";
import { type CodeChecker, codeChecksRun, ensurePython, executorChecker } from "../run/code-checks.js";
import type { RunConfig, Settings } from "../run/config.js";
import { createEngine, type Engine, type EngineOptions } from "../run/engine.js";
import { failedRunReason, maxFailuresOf } from "../run/failure-budget.js";
import { PLACEHOLDER_API_KEY } from "../run/generate-settings.js";
import { createRunStop, installInterruptHandlers, type RunStop } from "../run/interrupt.js";
import { runPool } from "../run/pool.js";
import { ProgressReporter, type ProgressStream, progressMode } from "../run/progress.js";
import { checkSavedConfig, llmStackOptions, readApiKey, resolveConfig } from "../run/resolve-config.js";
import {
  clearFailures,
  dropOrphanTrees,
  type ResumeState,
  readResumeState,
  retriable,
} from "../run/resume.js";
import { acquireRunLock, type RunLock } from "../run/run-lock.js";
import { searchChecks } from "../run/search-checks.js";
import { type Selection, scheduleTasks, selectProblems } from "../run/selection.js";
import { formatShard } from "../run/shard.js";
import {
  buildSummary,
  createRunCounters,
  formatRunSummary,
  type RunCounters,
  type RunSummary,
} from "../run/summary.js";
import { WorkInProgress } from "../run/work-in-progress.js";
import { type RunAppenders, runProblem, type WorkerContext } from "../run/worker.js";
import { writeRunConfig } from "../run-dir/config-file.js";
import { openJournal, type RequestJournal } from "../run-dir/journal.js";
import { RUN_FILES, runPath } from "../run-dir/layout.js";
import { computeRunTotals } from "../run-dir/read-run.js";
import { openRecordAppender } from "../run-dir/records.js";
import { writeFileAtomic } from "../util/jsonl.js";
import { createLogger, type Logger, type LogLevel } from "../util/logger.js";
import { checkDirPath, makeDirectory, prepareOutputDir, removeStaleTempFiles } from "../util/output-dir.js";
import { createRng } from "../util/rng.js";
import { VERSION } from "../version.js";

export { failureHint, failureKind } from "../run/failures.js";
export { hashPromptSet } from "../run/resolve-config.js";

export type GenerateConfig = RunConfig;

export interface GenerateOptions {
  /** The run directory (required: when absent, runGenerate says so with any other missing option). */
  out?: string;
  /** The flags, as the top settings layer (fields left out are not set). */
  settings: Settings;
  /** --config file. */
  configFile?: string;
  logLevel?: LogLevel;
  /** Progress bar / lines on stderr (default true). */
  progress?: boolean;
  /** configs/models.json by default. */
  presetsFile?: string;
}

export interface GenerateIo {
  stderr: ProgressStream;
  env: Record<string, string | undefined>;
  now?: () => number;
  /** Aborting this stops the run like Ctrl-C (library use, tests). */
  signal?: AbortSignal;
  /** Install SIGINT/SIGTERM handlers (the CLI does). */
  handleSignals?: boolean;
  /** Replace the engine (search + code) — for library users with their own roles. */
  engine?: (config: GenerateConfig, prompts: PromptSet) => Engine;
  /**
   * The code checks each problem offers the search (createEngine's `checks`): for library users and
   * scripts with a verifier of their own (scripts/compare-strategies.ts).
   */
  checks?: EngineOptions["checks"];
  /**
   * How the run's LLM stack is made from its options (default createLlmStack): for library users
   * with a stack of their own, and for tests that give it a clock and a sleep.
   */
  llmStack?: (options: LlmStackOptions) => LlmStack | Promise<LlmStack>;
}

export interface GenerateResult {
  config: GenerateConfig;
  summary: RunSummary;
}

/** The run's config from every layer (reads the --config, presets and prompt files; nothing else). */
export function resolveGenerateConfig(
  options: GenerateOptions,
  env: Record<string, string | undefined>,
  now: Date,
): Promise<{ config: GenerateConfig; prompts: PromptSet }> {
  return resolveConfig(options, env, now);
}

/** What `prepare` settles: the run's config and where it stands. */
interface Prepared {
  dir: string;
  config: RunConfig;
  prompts: PromptSet;
  apiKey: string;
  state: ResumeState;
  now: () => number;
  startedAt: number;
}

/** The run directory, open for this invocation. */
interface OpenRun {
  logger: Logger;
  files: RunAppenders;
  /** What the check found: server warnings for the banner, or the in-process engine's model file. */
  check: LlmCheck;
  /** The request journal (undefined with --no-journal). */
  journal?: RequestJournal;
  /** Where a warning during the run goes (stderr; above the progress bar once it is drawn). */
  notice: { say: (text: string) => void };
}

/** How the pool ended. */
interface PoolOutcome {
  stop: RunStop;
  counters: RunCounters;
  stack?: LlmStack;
  error?: unknown;
}

/** The lock on the run directory, once taken (released when runGenerate returns or throws). */
type LockHolder = { held?: RunLock };

/** Run `sra generate`. Throws InterruptedError (130) / TooManyFailuresError (1) after saving the work. */
export async function runGenerate(options: GenerateOptions, io: GenerateIo): Promise<GenerateResult> {
  const lock: LockHolder = {};
  try {
    const run = await prepare(options, io, lock);
    const selection = await selectProblems(run.config, run.state);
    const opened = await openRun(run, selection, options, io, lock);
    const outcome = await runThePool(run, selection, opened, options, io);
    return await finish(run, selection, opened, outcome, io);
  } finally {
    await lock.held?.release();
  }
}

async function prepare(options: GenerateOptions, io: GenerateIo, lock: LockHolder): Promise<Prepared> {
  const now = io.now ?? Date.now;
  const startedAt = now();
  const missing = options.out ? [] : ["--out <dir> (the run directory)"];
  const { config, prompts } = await resolveConfig({ ...options, missing }, io.env, new Date(startedAt));
  // resolveConfig threw if --out was missing.
  const dir = path.resolve(options.out as string);
  const apiKey = readApiKey(config, io.env);
  // --out must be able to be a directory (a path under a file fails here, not as a bare ENOTDIR).
  await checkDirPath(dir, "--out");
  // One generate per run directory: an existing one is locked now, a new one once it is made.
  if (await isDirectory(dir)) await lockRunDir(dir, lock, io);
  // The saved config must agree on everything that changes results.
  const savedCreatedAt = await checkSavedConfig(dir, config);
  if (savedCreatedAt) config.createdAt = savedCreatedAt;
  const state = await readResumeState(dir);
  return { dir, config, prompts, apiKey, state, now, startedAt };
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await fsp.stat(dir).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * Take the run directory's lock (run-lock.ts) before reading anything that resume relies on; a
 * directory that does not exist yet is locked as soon as it is made (a second process that raced us
 * to it then fails there, before it has written anything).
 */
async function lockRunDir(dir: string, lock: LockHolder, io: GenerateIo): Promise<void> {
  if (lock.held) return;
  // The wall clock, not io.now: the lock's age is compared with file times other processes write.
  const held = await acquireRunLock(dir);
  lock.held = held;
  if (held.replaced) {
    const who = held.replaced.owner
      ? `process ${held.replaced.owner.pid} on ${held.replaced.owner.host}`
      : "an unreadable lock";
    io.stderr.write(`sra generate: took over a stale lock on ${dir} (${who}: ${held.replaced.why})\n`);
  }
}

async function openRun(
  run: Prepared,
  selection: Selection,
  options: GenerateOptions,
  io: GenerateIo,
  lock: LockHolder,
): Promise<OpenRun> {
  const { dir, config, apiKey, state } = run;
  // The run directory takes a write (read-only, /proc, a full disk): fail before any server call.
  // Temporary files of a killed earlier run (atomic writes never renamed) are swept.
  const { created } = await prepareOutputDir(dir, "--out");
  await lockRunDir(dir, lock, io);
  await removeStaleTempFiles(dir, Object.values(RUN_FILES));
  // The model, before the first problem (and before the run directory holds anything).
  const nothing: LlmCheck = { warnings: [] };
  const check = selection.counts.todo > 0 ? await checkTheModel(run, io, { created, lock }) : nothing;
  await makeDirectory(dir);
  await writeRunConfig(dir, config);
  const logger = createLogger({
    level: options.logLevel ?? "info",
    file: runPath(dir, "log"),
    // Belt and braces: the key is never put in a log object, and any text that still carries it
    // (a server error echoing the Authorization header) is censored on its way to the file.
    secrets: apiKey === PLACEHOLDER_API_KEY ? [] : [apiKey],
  });
  const { pending } = selection;
  const retry = config.run.retryFailures;
  const clearedFailures = retry
    ? await clearFailures(dir, (f) => pending.has(f.id) && retriable(f.stage, config.stage))
    : 0;
  if (retry) for (const id of pending) state.failures.delete(id);
  // A tree belongs with a plan, or with a recorded failure (kept for diagnosis); any other tree is
  // the leftover of a crash (or of a failure being retried) and would be duplicated.
  const droppedTrees = await dropOrphanTrees(dir, (id) => state.planIds.has(id) || state.failures.has(id));
  logger.info(
    {
      runDir: dir,
      sraVersion: VERSION,
      model: config.model,
      strategy: config.strategy,
      stage: config.stage,
      search: config.search,
      code: config.code,
      server: { ...config.server, apiKeyEnv: config.server.apiKeyEnv },
      run: config.run,
      input: config.input,
      selection: selection.counts,
      droppedOrphanTrees: droppedTrees,
      clearedFailures,
    },
    "generate: start",
  );
  for (const w of check.warnings) logger.warn({ warning: w }, "generate: server check");
  if (check.modelFile) logger.info({ modelFile: check.modelFile }, "generate: in-process model file");
  const stage = config.stage;
  const files: RunAppenders = {
    trees: stage === "code" ? undefined : await openRecordAppender(dir, "trees"),
    plans: stage === "code" ? undefined : await openRecordAppender(dir, "plans"),
    samples: stage === "plans" ? undefined : await openRecordAppender(dir, "samples"),
    failures: await openRecordAppender(dir, "failures"),
  };
  const notice = { say: (text: string) => void io.stderr.write(`${text}\n`) };
  const journal = config.run.journal ? await openRunJournal(run, logger, notice) : undefined;
  return { logger, files, check, notice, ...(journal ? { journal } : {}) };
}

/**
 * The server(s), before the first problem: unreachable, 401, model not served -> exit 1 now. In
 * process: the engine is installed and the model file is there (downloaded now if need be; Ctrl-C
 * ends a download with exit 130). A failure leaves no run directory behind that this call made.
 */
async function checkTheModel(
  run: Prepared,
  io: GenerateIo,
  made: { created: boolean; lock: LockHolder },
): Promise<LlmCheck> {
  const download = downloadProgressPrinter(io.stderr);
  const interrupted = new AbortController();
  const interrupt = io.handleSignals
    ? installInterruptHandlers(() =>
        interrupted.abort(
          new InterruptedError("interrupted before the first problem (checking or downloading the model)", {
            hint: "rerun the same command",
          }),
        ),
      )
    : undefined;
  const signal = io.signal ? AbortSignal.any([io.signal, interrupted.signal]) : interrupted.signal;
  try {
    // The Python that checks the code too: a missing one is said now, not after the first search.
    if (codeChecksRun(run.config)) ensurePython(run.config.check.python);
    const options = llmStackOptions(run.config, run.apiKey, io.env);
    return await checkLlm(withDownload(options, signal, download.onProgress));
  } catch (e) {
    download.end();
    if (made.created) {
      await made.lock.held?.release();
      await fsp.rmdir(run.dir).catch(() => undefined);
    }
    throw e;
  } finally {
    interrupt?.dispose();
  }
}

/** In process: the download's progress on stderr, and the signal that aborts it. */
function withDownload(
  o: LlmStackOptions,
  signal: AbortSignal,
  onDownloadProgress: (p: DownloadProgress) => void,
): LlmStackOptions {
  if (!o.inProcess) return o;
  return { ...o, inProcess: { ...o.inProcess, onDownloadProgress, signal } };
}

/** The request journal of the run directory, its leftovers of finished problems pruned. */
function openRunJournal(run: Prepared, logger: Logger, notice: OpenRun["notice"]): Promise<RequestJournal> {
  const { config, state } = run;
  return openJournal(run.dir, {
    model: config.model.servedModel,
    // Left by a crash after the problem's outcome was written: nothing will ask for them again.
    isFinished: (id) =>
      state.sampleIds.has(id) ||
      state.failures.has(id) ||
      (config.stage === "plans" && state.planIds.has(id)),
    now: run.now,
    warn: (message, fields) => {
      logger.warn(fields, message);
      notice.say(`sra: warning: ${message}`);
    },
  });
}

async function runThePool(
  run: Prepared,
  selection: Selection,
  opened: OpenRun,
  options: GenerateOptions,
  io: GenerateIo,
): Promise<PoolOutcome> {
  const { dir, config, now, startedAt } = run;
  const { logger, files } = opened;
  const counters = createRunCounters();
  const work = new WorkInProgress();
  const stop = createRunStop();
  const outcome: PoolOutcome = { stop, counters };
  // One executor per run, started with the pool (in the background) and closed at the end.
  const checker = codeChecksRun(config)
    ? executorChecker({ python: config.check.python, workers: workersOf(config.check.workers) })
    : undefined;
  const onExternalAbort = (): void => stop.stop("interrupted", "aborted by the caller");
  io.signal?.addEventListener("abort", onExternalAbort, { once: true });
  if (io.signal?.aborted) onExternalAbort();
  const progress = new ProgressReporter({
    stream: io.stderr,
    mode: progressMode(io.stderr, options.progress ?? true),
    now,
    snapshot: () => {
      const s = outcome.stack?.stats();
      return {
        done: counters.done,
        failed: counters.failed,
        total: selection.counts.todo,
        calls: s?.calls ?? 0,
        promptTokens: s?.promptTokens ?? 0,
        completionTokens: s?.completionTokens ?? 0,
        inFlight: s?.inFlight ?? 0,
        cap: s?.cap ?? config.server.maxRequests,
        elapsedMs: now() - startedAt,
        waitingForServer: s?.waitingForServer ?? false,
        work: {
          running: work.runningCalls(),
          finished: work.finishedProblems,
          finishedCalls: work.finishedCalls,
        },
      };
    },
  });
  const interrupt = io.handleSignals
    ? installInterruptHandlers((signal) => {
        progress.message(
          `sra: ${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping; finished work is kept (press Ctrl-C again to exit at once)`,
        );
        logger.warn({ signal }, "generate: interrupted");
        stop.stop("interrupted", signal);
      })
    : undefined;
  try {
    const todo = selection.counts.todo > 0 && !stop.signal.aborted;
    // In process the model is loaded first (a second or two), so the banner can say how it runs.
    if (todo) checker?.prestart();
    if (todo) outcome.stack = await openStack(run, opened, io, stop.signal);
    io.stderr.write(formatBanner(dir, config, selection.counts, outcome.stack?.describe()));
    for (const w of opened.check.warnings) io.stderr.write(`sra: warning: ${w}\n`);
    io.stderr.write(
      formatReadNotes(selection.readStats, {
        count: selection.counts.duplicatesSkipped,
        examples: selection.repeats,
      }),
    );
    const { readStats } = selection;
    if (readStats.invalid > 0) {
      logger.warn(
        { invalid: readStats.invalid, errors: readStats.errors.map((e) => e.message) },
        "invalid records skipped",
      );
    }
    if (todo && outcome.stack) {
      const ctx: WorkerContext = {
        config,
        engine: io.engine
          ? io.engine(config, run.prompts)
          : createEngine(config, run.prompts, engineChecks(io, checker)),
        llm: outcome.stack.llm,
        ...(opened.journal ? { journal: opened.journal } : {}),
        rng: createRng(config.seed),
        now,
        signal: stop.signal,
        files,
        counters,
        work,
        logger,
        message: (text) => progress.message(text),
        stop: (cause, detail) => stop.stop(cause, detail),
        ...(checker ? { checker } : {}),
      };
      opened.notice.say = (text) => progress.message(text);
      progress.start();
      const tasks = scheduleTasks(dir, config, run.state, selection);
      await runPool(tasks, { concurrency: config.run.concurrency, signal: stop.signal }, (task) =>
        runProblem(ctx, task),
      );
    }
  } catch (e) {
    outcome.error = e;
    stop.fail(e, describeError(e));
  } finally {
    progress.stop();
    interrupt?.dispose();
    io.signal?.removeEventListener("abort", onExternalAbort);
    await Promise.allSettled(Object.values(files).map((a) => a?.close()));
    await opened.journal?.close();
    await outcome.stack?.close().catch(() => undefined);
    await checker?.close().catch(() => undefined);
  }
  return outcome;
}

/**
 * The code checks each problem offers its search: the caller's (library users, the comparison
 * script), else the run's executor bound to the problem's tests and examples (none without checks).
 */
function engineChecks(io: GenerateIo, checker: CodeChecker | undefined): EngineOptions {
  if (io.checks) return { checks: io.checks };
  return checker ? { checks: (problem) => searchChecks(checker, problem) } : {};
}

/** The run's LLM stack, with what the check found (the in-process model file) and the run's stop signal. */
async function openStack(
  run: Prepared,
  opened: OpenRun,
  io: GenerateIo,
  signal: AbortSignal,
): Promise<LlmStack> {
  const options = withCheck(llmStackOptions(run.config, run.apiKey, io.env), opened.check);
  return (io.llmStack ?? createLlmStack)({
    ...options,
    ...(options.inProcess ? { inProcess: { ...options.inProcess, signal } } : {}),
    logger: opened.logger,
    now: run.now,
  });
}

/** A run that went to its end with too many of its problems failed (failedRunReason): exit 1. */
function failedRunError(reason: string, nothingToDo: boolean): TooManyFailuresError {
  if (nothingToDo) {
    return new TooManyFailuresError(`nothing to do: ${reason}`, {
      hint: "rerun with --retry-failures to redo the failed problems (failures.jsonl says why each failed)",
    });
  }
  return new TooManyFailuresError(`${reason}; finished work is kept`, {
    hint: "see failures.jsonl and generate.log; fix the cause, then rerun with --retry-failures",
  });
}

async function finish(
  run: Prepared,
  selection: Selection,
  opened: OpenRun,
  outcome: PoolOutcome,
  io: GenerateIo,
): Promise<GenerateResult> {
  const { dir, config, now } = run;
  const { stopped } = outcome.stop;
  const failedBecause =
    stopped.cause === "completed" && outcome.error === undefined
      ? failedRunReason(maxFailuresOf(config.run.maxFailures), {
          done: outcome.counters.done,
          failed: outcome.counters.failed,
          alreadyDone: selection.counts.alreadyDone,
          failedEarlier: selection.counts.failedEarlier,
        })
      : undefined;
  // Totals of the whole run directory (every invocation), streamed from its files.
  const totals = await computeRunTotals(dir);
  const summary = buildSummary({
    runDir: dir,
    model: config.model.servedModel,
    strategy: config.strategy,
    stage: config.stage,
    shard: config.input.shard ? formatShard(config.input.shard) : null,
    limit: config.input.limit,
    startedAt: run.startedAt,
    finishedAt: now(),
    stopCause: stopped.cause,
    ...(stopped.detail ? { stopDetail: stopped.detail } : {}),
    ...(failedBecause ? { failedBecause } : {}),
    problems: selection.counts,
    counters: outcome.counters,
    totals,
    llm: outcome.stack?.stats() ?? null,
    engine: outcome.stack?.describe() ?? null,
    journal: opened.journal?.stats() ?? null,
  });
  // A summary that cannot be written (the disk that stopped the run is still full) must not hide
  // why the run stopped, nor keep the summary from the terminal.
  let summaryError: unknown;
  try {
    await writeFileAtomic(runPath(dir, "summary"), `${JSON.stringify(summary, null, 2)}\n`);
  } catch (e) {
    summaryError = e;
  }
  opened.logger.info({ summary }, "generate: end");
  io.stderr.write(`${formatRunSummary(summary)}\n`);
  opened.logger.flush?.();

  if (outcome.error !== undefined) throw outcome.error;
  if (summaryError !== undefined) throw summaryError;
  if (stopped.cause === "interrupted") {
    throw new InterruptedError(
      `interrupted: ${outcome.counters.done} problems finished in this run and kept`,
      { hint: "rerun the same command to resume" },
    );
  }
  if (stopped.cause === "max-failures") {
    throw new TooManyFailuresError(`${stopped.detail ?? "too many failures"}; finished work is kept`, {
      hint: "see failures.jsonl and generate.log; fix the cause, then rerun with --retry-failures",
    });
  }
  if (failedBecause !== undefined) throw failedRunError(failedBecause, selection.counts.todo === 0);
  return { config, summary };
}
