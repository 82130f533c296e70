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
import { checkLlmServers, checkWarnings } from "../llm/open-llm.js";
import type { PromptSet } from "../roles/prompts.js";
import { formatBanner, formatReadNotes } from "../run/banner.js";
import { codeChecksRun, ensurePython, executorChecker } from "../run/code-checks.js";
import type { RunConfig, Settings } from "../run/config.js";
import { createEngine, type Engine } from "../run/engine.js";
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
import { type Selection, scheduleTasks, selectProblems } from "../run/selection.js";
import { formatShard } from "../run/shard.js";
import {
  buildSummary,
  createRunCounters,
  formatRunSummary,
  type RunCounters,
  type RunSummary,
} from "../run/summary.js";
import { type RunAppenders, runProblem, type WorkerContext } from "../run/worker.js";
import { writeRunConfig } from "../run-dir/config-file.js";
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
  /** The run directory. */
  out: string;
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
   * How the run's LLM stack is made from its options (default createLlmStack): for library users
   * with a stack of their own, and for tests that give it a clock and a sleep.
   */
  llmStack?: (options: LlmStackOptions) => LlmStack;
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
  /** Server-check warnings, for the banner. */
  warnings: string[];
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
  const dir = path.resolve(options.out);
  const { config, prompts } = await resolveConfig(options, io.env, new Date(startedAt));
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
  // The server(s), before the first problem: unreachable, 401, model not served -> exit 1 now.
  // And the Python that checks the code (a missing one is said now, not after the first search).
  let warnings: string[] = [];
  if (selection.counts.todo > 0) {
    try {
      if (codeChecksRun(config)) ensurePython(config.check.python);
      warnings = checkWarnings(await checkLlmServers(llmStackOptions(config, apiKey)));
    } catch (e) {
      // Nothing was run: leave no empty run directory behind (only one we created just now).
      if (created) {
        await lock.held?.release();
        await fsp.rmdir(dir).catch(() => undefined);
      }
      throw e;
    }
  }
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
  for (const w of warnings) logger.warn({ warning: w }, "generate: server check");
  const stage = config.stage;
  const files: RunAppenders = {
    trees: stage === "code" ? undefined : await openRecordAppender(dir, "trees"),
    plans: stage === "code" ? undefined : await openRecordAppender(dir, "plans"),
    samples: stage === "plans" ? undefined : await openRecordAppender(dir, "samples"),
    failures: await openRecordAppender(dir, "failures"),
  };
  return { logger, files, warnings };
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
  const stop = createRunStop();
  const outcome: PoolOutcome = { stop, counters };
  // One executor per run, started at the first check and closed at the end.
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
    io.stderr.write(formatBanner(dir, config, selection.counts));
    for (const w of opened.warnings) io.stderr.write(`sra: warning: ${w}\n`);
    io.stderr.write(formatReadNotes(selection.readStats));
    const { readStats } = selection;
    if (readStats.invalid > 0) {
      logger.warn(
        { invalid: readStats.invalid, errors: readStats.errors.map((e) => e.message) },
        "invalid records skipped",
      );
    }
    if (selection.counts.todo > 0 && !stop.signal.aborted) {
      outcome.stack = (io.llmStack ?? createLlmStack)({
        ...llmStackOptions(config, run.apiKey),
        logger,
        now,
      });
      const ctx: WorkerContext = {
        config,
        engine: (io.engine ?? createEngine)(config, run.prompts),
        llm: outcome.stack.llm,
        rng: createRng(config.seed),
        now,
        signal: stop.signal,
        files,
        counters,
        logger,
        message: (text) => progress.message(text),
        stop: (cause, detail) => stop.stop(cause, detail),
        ...(checker ? { checker } : {}),
      };
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
    await outcome.stack?.close().catch(() => undefined);
    await checker?.close().catch(() => undefined);
  }
  return outcome;
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
    problems: selection.counts,
    counters: outcome.counters,
    totals,
    llm: outcome.stack?.stats() ?? null,
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
  return { config, summary };
}
