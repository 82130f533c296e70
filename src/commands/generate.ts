/**
 * `sra generate`: problems -> search (SRA-MCTS or the CoT baseline) -> plans -> code -> samples, into
 * an append-only, resumable run directory. This module is the orchestration; the search, the roles and
 * the LLM stack are injected through src/run/engine.ts and src/llm/create-llm-stack.ts.
 *
 * Order of work (each step can fail fast before any model call):
 *   resolve + validate config -> compare with the run's saved config.json -> read what the run dir holds
 *   -> validate the whole problems file and select (limit, shard, resume) -> check the server(s)
 *   -> write config.json -> run problems through a bounded pool -> write summary.json.
 */
import { createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import {
  ConfigError,
  describeError,
  InputError,
  InterruptedError,
  LlmError,
  ParseError,
  SraError,
  TooManyFailuresError,
  UsageError,
} from "../errors.js";
import { createLlmStack, type LlmStack } from "../llm/create-llm-stack.js";
import { loadPresets, resolveModel } from "../llm/presets.js";
import { DEFAULT_RETRY_POLICY } from "../llm/retry.js";
import { checkServer } from "../llm/server-check.js";
import { createReadProblemsStats, readProblems } from "../problems/read-problems.js";
import { addUsage } from "../roles/counting-llm.js";
import { loadPromptSet, PROMPT_NAMES, type PromptSet } from "../roles/prompts.js";
import {
  diffResultFields,
  formatDifference,
  type RunConfig,
  readSettingsFile,
  resolveRunConfig,
  type Settings,
} from "../run/config.js";
import { createEngine, type Engine } from "../run/engine.js";
import { failureBudgetExceeded, maxFailuresOf } from "../run/failure-budget.js";
import { PLACEHOLDER_API_KEY } from "../run/generate-settings.js";
import { installInterruptHandlers } from "../run/interrupt.js";
import { runPool } from "../run/pool.js";
import { ProgressReporter, type ProgressStream, progressMode } from "../run/progress.js";
import { clearFailures, dropOrphanTrees, readResumeState, retriable, todoFor } from "../run/resume.js";
import { acquireRunLock, type RunLock } from "../run/run-lock.js";
import { formatShard, inShard } from "../run/shard.js";
import {
  buildSummary,
  bump,
  createRunCounters,
  formatSummary,
  type RunSummary,
  type SelectionCounts,
  type StopCause,
} from "../run/summary.js";
import { readSavedConfig, writeRunConfig } from "../run-dir/config-file.js";
import { RUN_FILES, runPath } from "../run-dir/layout.js";
import { computeRunTotals } from "../run-dir/read-run.js";
import { openRecordAppender, readRunRecords } from "../run-dir/records.js";
import { DEFAULT_SEARCH_PARAMS, type SearchParams, searchParamsSchema } from "../search/params.js";
import { EmptyPlanError } from "../search/strategy.js";
import {
  type Failure,
  formatPlan,
  type PlanRecord,
  type Problem,
  type Sample,
  type Stage,
} from "../types.js";
import { writeFileAtomic } from "../util/jsonl.js";
import { createLogger, type LogLevel } from "../util/logger.js";
import { checkDirPath, makeDirectory, prepareOutputDir, removeStaleTempFiles } from "../util/output-dir.js";
import { createRng } from "../util/rng.js";
import { VERSION } from "../version.js";

export type GenerateConfig = RunConfig;

export interface GenerateOptions {
  /** The run directory. */
  out: string;
  /** The flags, as the top settings layer (undefined fields are not set). */
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
}

export interface GenerateResult {
  config: GenerateConfig;
  summary: RunSummary;
}

/** sha256 of the five prompt files' parsed texts, in a fixed order. */
export function hashPromptSet(prompts: PromptSet): string {
  const h = createHash("sha256");
  for (const name of PROMPT_NAMES) {
    const t = prompts[name];
    h.update(`${name}\u0000${t.system}\u0000${t.user}\u0000`);
  }
  return `sha256:${h.digest("hex")}`;
}

/** Paths in a --config file are relative to that file, as in tsconfig.json (flags: to the cwd). */
function resolveSettingsPaths(s: Settings, base: string): Settings {
  const out: Settings = { ...s };
  if (out.input?.problems !== undefined)
    out.input = { ...out.input, problems: path.resolve(base, out.input.problems) };
  if (typeof out.promptsDir === "string") out.promptsDir = path.resolve(base, out.promptsDir);
  if (typeof out.prompts?.dir === "string")
    out.prompts = { ...out.prompts, dir: path.resolve(base, out.prompts.dir) };
  return out;
}

/** Resolve every layer into the run's config (no I/O beyond reading the config/preset/prompt files). */
export async function resolveGenerateConfig(
  options: GenerateOptions,
  env: Record<string, string | undefined>,
  now: Date,
): Promise<{ config: GenerateConfig; prompts: PromptSet }> {
  const file = options.configFile
    ? resolveSettingsPaths(await readSettingsFile(options.configFile), path.dirname(options.configFile))
    : undefined;
  const presets = await loadPresets(options.presetsFile);
  let prompts: PromptSet | undefined;
  const config = await resolveRunConfig({
    file,
    flags: options.settings,
    env,
    resolveModel: (name) => resolveModel(name, presets),
    promptsHash: async (dir) => {
      prompts = await loadPromptSet(dir ?? undefined);
      return hashPromptSet(prompts);
    },
    sraVersion: VERSION,
    now,
  });
  if (!prompts) throw new Error("prompts were not loaded");
  return { config, prompts };
}

/** The API key from the environment. An explicitly named variable that is unset is a usage error. */
export function readApiKey(
  config: GenerateConfig,
  env: Record<string, string | undefined>,
  explicit: boolean,
): string {
  const name = config.server.apiKeyEnv;
  const value = env[name];
  if (value !== undefined && value !== "") return value;
  if (explicit) {
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
async function checkSavedConfig(dir: string, config: GenerateConfig): Promise<string | undefined> {
  const read = await readSavedConfig(dir);
  if (read.status === "missing") return undefined;
  const file = read.file;
  if (read.status === "invalid") {
    throw new ConfigError(
      [`not a JSON object: ${read.reason === "type" ? "wrong type" : read.error}`],
      file,
      {
        hint: "the run's config.json is damaged; restore it or start a new --out directory",
      },
    );
  }
  const diffs = diffResultFields(read.raw, config);
  if (diffs.length > 0) {
    throw new ConfigError(diffs.map(formatDifference), file, {
      hint:
        "these settings change the results, so this run cannot be resumed with them: " +
        `rerun with the saved ones (drop those flags, or add --config ${file}), or write to a new --out directory`,
    });
  }
  return read.config.createdAt;
}

/** A short machine-readable kind for a failure. */
export function failureKind(e: unknown): string {
  if (e instanceof ParseError) return e.kind;
  if (e instanceof LlmError) {
    // The adapter says what went wrong; a malformed reply is not a network fault (the user would look
    // at the wrong thing), so it gets its own kind.
    if (e.fault === "timeout" || e.fault === "network" || e.fault === "bad-reply") return e.fault;
    if (e.status === undefined) return /timed? ?out|timeout/i.test(e.message) ? "timeout" : "network";
    if (e.status === 400 || e.status === 413) return "llm-request";
    return `llm-${e.status}`;
  }
  if (e instanceof SraError) return e.name.replace(/Error$/, "").toLowerCase() || "error";
  return "internal";
}

/**
 * What to do about a failed problem, for its failure record: the error's own hint when it has one,
 * else advice by kind. Every failure can be redone with --retry-failures once its cause is fixed.
 */
export function failureHint(kind: string, e: unknown): string {
  if (e instanceof SraError && e.hint) return e.hint;
  if (kind === "timeout") return "the server did not answer in time: lower --max-requests or raise --timeout";
  if (kind === "network") return "the connection to the server failed: check that it is up and reachable";
  if (kind === "bad-reply") {
    return "the reply was not a chat completion: check that --base-url is an OpenAI-compatible /v1 endpoint, and the server's log";
  }
  if (kind === "llm-429") {
    return 'the server kept rate limiting: lower --max-requests, or allow more retries ("server": {"retry": {"maxAttempts": N}} in --config)';
  }
  if (/^llm-5\d\d$/.test(kind)) return "the server failed: check its log (out of memory? restarting?)";
  if (kind === "no-code") {
    return /cut off/.test(describeError(e))
      ? "the code was cut off: raise --max-tokens"
      : "the model answered without a ```python block: check the implement prompt (--prompts-dir) and the model";
  }
  if (kind === "no-plan") {
    return "the model proposed no usable step: check the propose prompt (--prompts-dir) and the model's chat template";
  }
  return "see generate.log for details";
}

interface Task {
  kind: "search" | "code";
  problem: Problem;
  /** For a code task: the plan read from plans.jsonl. */
  plan?: PlanRecord;
}

function planProblem(plan: PlanRecord): Problem {
  return { id: plan.id, question: plan.question, line: 0, record: {} } as Problem;
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await fsp.stat(dir).catch(() => undefined))?.isDirectory() ?? false;
}

/** Run `sra generate`. Throws InterruptedError (130) / TooManyFailuresError (1) after saving the work. */
export async function runGenerate(options: GenerateOptions, io: GenerateIo): Promise<GenerateResult> {
  const lock: { held?: RunLock } = {};
  try {
    return await generateWithLock(options, io, lock);
  } finally {
    await lock.held?.release();
  }
}

/**
 * Take the run directory's lock (run-lock.ts) before reading anything that resume relies on; a
 * directory that does not exist yet is locked as soon as it is made (a second process that raced us
 * to it then fails there, before it has written anything).
 */
async function lockRunDir(dir: string, lock: { held?: RunLock }, io: GenerateIo): Promise<void> {
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

async function generateWithLock(
  options: GenerateOptions,
  io: GenerateIo,
  lock: { held?: RunLock },
): Promise<GenerateResult> {
  const now = io.now ?? Date.now;
  const startedAt = now();
  const dir = path.resolve(options.out);
  const { config, prompts } = await resolveGenerateConfig(options, io.env, new Date(startedAt));
  // A variable named on purpose (flag or --config) must be set; the default one may be unset (local server).
  const apiKey = readApiKey(config, io.env, config.server.apiKeyEnv !== "OPENAI_API_KEY");

  // 0. --out must be able to be a directory (a path under a file fails here, not as a bare ENOTDIR).
  await checkDirPath(dir, "--out");

  // 1. One generate per run directory (an existing one is locked now, a new one once made in 3b).
  if (await isDirectory(dir)) await lockRunDir(dir, lock, io);

  // 1b. The saved config must agree on everything that changes results.
  const savedCreatedAt = await checkSavedConfig(dir, config);
  if (savedCreatedAt) config.createdAt = savedCreatedAt;

  // 2. What the run directory holds (ids only).
  const state = await readResumeState(dir);
  const stage = config.stage;

  // 3. Validate the whole problems file, then select: limit (first N of the file), shard, resume.
  const readStats = createReadProblemsStats();
  const selected = new Set<string>();
  const selection: SelectionCounts = {
    inFile: 0,
    invalidSkipped: 0,
    duplicatesSkipped: 0,
    selected: 0,
    alreadyDone: 0,
    failedEarlier: 0,
    withoutPlan: 0,
    todo: 0,
  };
  const readOptions = {
    questionField: config.input.questionField,
    ...(config.input.idField ? { idField: config.input.idField } : {}),
    skipInvalid: config.input.skipInvalid,
    ...(config.input.maxQuestionChars === null ? {} : { maxQuestionChars: config.input.maxQuestionChars }),
  };
  let index = 0;
  for await (const problem of readProblems(config.input.problems, readOptions, readStats)) {
    const i = index++;
    if (config.input.limit !== null && i >= config.input.limit) continue;
    if (!inShard(problem.id, config.input.shard)) continue;
    selection.selected++;
    const todo = todoFor(problem.id, stage, state, config.run.retryFailures);
    if (todo === "done") selection.alreadyDone++;
    else if (todo === "failed") selection.failedEarlier++;
    else if (todo === "no-plan") selection.withoutPlan++;
    else {
      selection.todo++;
      selected.add(problem.id);
    }
  }
  selection.inFile = readStats.problems;
  selection.invalidSkipped = readStats.invalid;
  selection.duplicatesSkipped = readStats.duplicates ?? 0;
  // An empty file is almost always an earlier step that failed (a truncated download, a filter that
  // dropped everything); a run that quietly does nothing would hide it.
  if (readStats.lines - readStats.blank === 0) {
    throw new InputError(
      "no problems: the file is empty",
      { file: config.input.problems },
      {
        hint: "check the step that wrote it; a problems file has one JSON object per line",
      },
    );
  }

  // 3b. The run directory takes a write (read-only, /proc, a full disk): fail before any server call.
  //     Temporary files of a killed earlier run (atomic writes never renamed) are swept.
  const { created: createdDir } = await prepareOutputDir(dir, "--out");
  await lockRunDir(dir, lock, io);
  await removeStaleTempFiles(dir, Object.values(RUN_FILES));

  // 4. The server(s), before the first problem: unreachable, 401, model not served -> exit 1 now.
  const timeoutMs = Math.round(config.server.timeoutSec * 1000);
  const warnings: string[] = [];
  if (selection.todo > 0) {
    try {
      for (const baseUrl of config.server.baseUrls) {
        const check = await checkServer({
          baseUrl,
          apiKey,
          model: config.model.servedModel,
          timeoutMs: Math.min(timeoutMs, 30_000),
        });
        if (check.warning) warnings.push(check.warning);
      }
    } catch (e) {
      // Nothing was run: leave no empty run directory behind (only one we created just now).
      if (createdDir) {
        await lock.held?.release();
        await fsp.rmdir(dir).catch(() => undefined);
      }
      throw e;
    }
  }

  // 5. The run directory: config.json (atomic), repairs, appenders, log.
  await makeDirectory(dir);
  await writeRunConfig(dir, config);
  const logger = createLogger({
    level: options.logLevel ?? "info",
    file: runPath(dir, "log"),
    // Belt and braces: the key is never put in a log object, and any text that still carries it
    // (a server error echoing the Authorization header) is censored on its way to the file.
    secrets: apiKey === PLACEHOLDER_API_KEY ? [] : [apiKey],
  });
  const clearedFailures = config.run.retryFailures
    ? await clearFailures(dir, (f) => selected.has(f.id) && retriable(f.stage, stage))
    : 0;
  if (config.run.retryFailures) for (const id of selected) state.failures.delete(id);
  // A tree belongs with a plan, or with a recorded failure (kept for diagnosis); any other tree is
  // the leftover of a crash (or of a failure being retried) and would be duplicated.
  const droppedTrees = await dropOrphanTrees(dir, (id) => state.planIds.has(id) || state.failures.has(id));
  logger.info(
    {
      runDir: dir,
      sraVersion: VERSION,
      model: config.model,
      strategy: config.strategy,
      stage,
      search: config.search,
      code: config.code,
      server: { ...config.server, apiKeyEnv: config.server.apiKeyEnv },
      run: config.run,
      input: config.input,
      selection,
      droppedOrphanTrees: droppedTrees,
      clearedFailures,
    },
    "generate: start",
  );
  for (const w of warnings) logger.warn({ warning: w }, "generate: server check");

  const appenders = {
    trees: stage === "code" ? undefined : await openRecordAppender(dir, "trees"),
    plans: stage === "code" ? undefined : await openRecordAppender(dir, "plans"),
    samples: stage === "plans" ? undefined : await openRecordAppender(dir, "samples"),
    failures: await openRecordAppender(dir, "failures"),
  };

  const stderr = io.stderr;
  const counters = createRunCounters();
  let stack: LlmStack | undefined;
  // An object, not two lets: the workers' closures set it, and TS must not narrow it to "completed".
  const stopped: { cause: StopCause; detail?: string } = { cause: "completed" };
  const controller = new AbortController();
  // Every in-flight LLM request listens on this one signal: hundreds of listeners are expected.
  setMaxListeners(0, controller.signal);
  const stop = (cause: StopCause, detail?: string): void => {
    if (controller.signal.aborted) return;
    stopped.cause = cause;
    stopped.detail = detail;
    controller.abort(new Error(detail ?? cause));
  };
  const onExternalAbort = (): void => stop("interrupted", "aborted by the caller");
  io.signal?.addEventListener("abort", onExternalAbort, { once: true });
  if (io.signal?.aborted) onExternalAbort();

  const progress = new ProgressReporter({
    stream: stderr,
    mode: progressMode(stderr, options.progress ?? true),
    now,
    snapshot: () => {
      const s = stack?.stats();
      return {
        done: counters.done,
        failed: counters.failed,
        total: selection.todo,
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
        stop("interrupted", signal);
      })
    : undefined;

  const maxFailures = maxFailuresOf(config.run.maxFailures);
  let runError: unknown;
  try {
    stderr.write(
      `sra generate: ${selection.todo} to do of ${selection.selected} selected` +
        (config.input.shard ? ` (shard ${formatShard(config.input.shard)})` : "") +
        `; ${selection.alreadyDone} already done, ${selection.failedEarlier} failed earlier` +
        (selection.withoutPlan > 0 ? `, ${selection.withoutPlan} without a plan yet` : "") +
        (selection.invalidSkipped > 0 ? `; ${selection.invalidSkipped} invalid records skipped` : "") +
        `\n  model ${config.model.servedModel} at ${config.server.baseUrls.join(", ")}; ` +
        `${config.strategy}, stage ${stage}; concurrency ${config.run.concurrency}, max requests ${config.server.maxRequests}` +
        `\n  run dir ${dir}\n`,
    );
    for (const w of warnings) stderr.write(`sra: warning: ${w}\n`);
    if (readStats.invalid > 0) {
      const first = readStats.errors
        .slice(0, 3)
        .map((e) => `\n    ${e.message}`)
        .join("");
      stderr.write(
        `sra: warning: skipped ${readStats.invalid} invalid problem records (--skip-invalid):${first}\n`,
      );
      logger.warn(
        { invalid: readStats.invalid, errors: readStats.errors.map((e) => e.message) },
        "invalid records skipped",
      );
    }
    if ((readStats.duplicates ?? 0) > 0) {
      const first = (readStats.warnings ?? [])
        .slice(0, 3)
        .map((e) => `\n    ${e.message}`)
        .join("");
      stderr.write(
        `sra: note: skipped ${readStats.duplicates} repeated questions (the first of each is kept):${first}\n`,
      );
    }

    if (selection.todo > 0 && !controller.signal.aborted) {
      stack = createLlmStack({
        endpoints: config.server.baseUrls,
        apiKey,
        model: config.model.servedModel,
        systemRole: config.model.systemRole,
        timeoutMs,
        retry: config.server.retry,
        maxOutageMs: Math.round(config.server.maxOutageSec * 1000),
        maxRequests: config.server.maxRequests,
        adaptive: config.server.adaptive,
        guided: config.search.guided ? "vllm" : "off",
        logger,
        now,
      });
      const engine = (io.engine ?? createEngine)(config, prompts);
      const baseRng = createRng(config.seed);
      const llm = stack.llm;

      const recordFailure = async (problem: Problem, failedStage: Stage, e: unknown): Promise<void> => {
        const failure: Failure = {
          id: problem.id,
          stage: failedStage,
          kind: failureKind(e),
          error: describeError(e).slice(0, 2000),
          ...(typeof (e as { attempts?: unknown }).attempts === "number"
            ? { attempts: (e as { attempts: number }).attempts }
            : {}),
        };
        failure.hint = failureHint(failure.kind, e);
        await appenders.failures.append(failure);
        counters.failed++;
        bump(counters.failuresByKind, failure.kind);
        bump(counters.failuresByStage, failedStage);
        logger.warn(
          { id: problem.id, stage: failedStage, kind: failure.kind, err: failure.error },
          "problem failed",
        );
        const why = failureBudgetExceeded(maxFailures, counters.failed, counters.done + counters.failed);
        if (why) {
          progress.message(`sra: ${why}: stopping the run`);
          stop("max-failures", why);
        }
      };

      const worker = async (task: Task): Promise<void> => {
        const signal = controller.signal;
        const problem = task.problem;
        const t0 = now();
        // The problem's own stream: results do not depend on which problem ran first.
        const rng = baseRng.fork(problem.id);
        let plan = task.plan;
        if (!plan) {
          let result: Awaited<ReturnType<Engine["plan"]>>;
          try {
            result = await engine.plan(problem, { llm, rng, signal, now });
          } catch (e) {
            if (signal.aborted) return; // redone on resume, not a failure
            // A search that produced no step keeps its tree for diagnosis (written before the failure).
            if (e instanceof EmptyPlanError) await appenders.trees?.append(e.tree);
            await recordFailure(problem, "plans", e);
            return;
          }
          // Tree first, then plan: a crash between them leaves an orphan tree, dropped at the next start.
          await appenders.trees?.append(result.tree);
          await appenders.plans?.append(result.plan);
          plan = result.plan;
          counters.plans++;
          bump(counters.stopReasons, plan.stopReason);
          if (plan.reachedEnd) counters.reachedEnd++;
          counters.steps += plan.steps.length;
          if (stage === "plans") {
            counters.done++;
            counters.calls += plan.usage.calls;
            counters.promptTokens += plan.usage.promptTokens;
            counters.completionTokens += plan.usage.completionTokens;
            counters.problemSeconds += plan.seconds;
            logger.info(
              { id: problem.id, steps: plan.steps.length, stopReason: plan.stopReason },
              "plan written",
            );
            return;
          }
        }
        if (signal.aborted) return;
        const t1 = now();
        let implemented: Awaited<ReturnType<Engine["implement"]>>;
        try {
          implemented = await engine.implement(problem, plan.steps, { llm, rng, signal });
        } catch (e) {
          if (signal.aborted) return;
          await recordFailure(problem, "code", e);
          return;
        }
        const codeSeconds = (now() - t1) / 1000;
        const usage = addUsage(plan.usage, implemented.usage);
        const seconds = Math.round((plan.seconds + codeSeconds) * 1000) / 1000;
        const sample: Sample = {
          id: problem.id,
          question: plan.question,
          plan: formatPlan(plan.steps),
          steps: plan.steps,
          code: implemented.code,
          meta: {
            model: config.model.servedModel,
            strategy: plan.strategy,
            scores: plan.scores,
            calls: usage.calls,
            promptTokens: usage.promptTokens,
            completionTokens: usage.completionTokens,
            seconds,
            stopReason: plan.stopReason,
            reachedEnd: plan.reachedEnd,
            codeFrom: implemented.codeFrom,
            counters: { ...plan.counters, codeAttempts: implemented.attempts },
          },
        };
        await appenders.samples?.append(sample);
        counters.done++;
        counters.samples++;
        counters.calls += usage.calls;
        counters.promptTokens += usage.promptTokens;
        counters.completionTokens += usage.completionTokens;
        counters.problemSeconds += seconds;
        logger.info(
          {
            id: problem.id,
            steps: plan.steps.length,
            calls: usage.calls,
            seconds,
            wallSeconds: (now() - t0) / 1000,
          },
          "sample written",
        );
      };

      progress.start();
      await runPool(tasks(), { concurrency: config.run.concurrency, signal: controller.signal }, worker);
    }
  } catch (e) {
    runError = e;
    if (stopped.cause === "completed") stopped.cause = "error";
    stopped.detail ??= describeError(e);
    controller.abort(e);
  } finally {
    progress.stop();
    interrupt?.dispose();
    io.signal?.removeEventListener("abort", onExternalAbort);
    await Promise.allSettled(Object.values(appenders).map((a) => a?.close()));
    await stack?.close().catch(() => undefined);
  }

  // Totals of the whole run directory (every invocation), streamed from its files.
  const totals = await computeRunTotals(dir);
  const summary = buildSummary({
    runDir: dir,
    model: config.model.servedModel,
    strategy: config.strategy,
    stage,
    shard: config.input.shard ? formatShard(config.input.shard) : null,
    limit: config.input.limit,
    startedAt,
    finishedAt: now(),
    stopCause: stopped.cause,
    ...(stopped.detail ? { stopDetail: stopped.detail } : {}),
    problems: selection,
    counters,
    totals,
    llm: stack?.stats() ?? null,
  });
  // A summary that cannot be written (the disk that stopped the run is still full) must not hide
  // why the run stopped, nor keep the summary from the terminal.
  let summaryError: unknown;
  try {
    await writeFileAtomic(runPath(dir, "summary"), `${JSON.stringify(summary, null, 2)}\n`);
  } catch (e) {
    summaryError = e;
  }
  logger.info({ summary }, "generate: end");
  stderr.write(`${formatSummary(summary)}\n`);
  logger.flush?.();

  if (runError !== undefined) throw runError;
  if (summaryError !== undefined) throw summaryError;
  if (stopped.cause === "interrupted") {
    throw new InterruptedError(`interrupted: ${counters.done} problems finished in this run and kept`, {
      hint: "rerun the same command to resume",
    });
  }
  if (stopped.cause === "max-failures") {
    throw new TooManyFailuresError(`${stopped.detail ?? "too many failures"}; finished work is kept`, {
      hint: "see failures.jsonl and generate.log; fix the cause, then rerun with --retry-failures",
    });
  }
  return { config, summary };

  /** The work, streamed: plans waiting for code first, then problems to search. */
  async function* tasks(): AsyncGenerator<Task> {
    // `selected` holds the ids still to schedule; each is removed when scheduled, so nothing runs twice.
    if (stage !== "plans") {
      for await (const { value } of readRunRecords(dir, "plans")) {
        if (!selected.has(value.id)) continue;
        if (todoFor(value.id, stage, state, config.run.retryFailures) !== "code") continue;
        selected.delete(value.id);
        yield { kind: "code", problem: planProblem(value), plan: value };
      }
    }
    if (stage === "code" || selected.size === 0) return;
    for await (const problem of readProblems(config.input.problems, readOptions)) {
      if (!selected.has(problem.id)) continue;
      if (todoFor(problem.id, stage, state, config.run.retryFailures) !== "search") continue;
      selected.delete(problem.id);
      yield { kind: "search", problem };
      // All scheduled (e.g. --limit N): step 3 validated the rest of the file; reading it again is waste.
      if (selected.size === 0) return;
    }
  }
}
