/**
 * One problem's work in the pool: search it (or take its saved plan), then implement the plan, and
 * write what came out (tree, plan, sample) or why it failed. Everything it needs is in its
 * WorkerContext; it shares nothing else with the other workers.
 *
 * Records are appended tree -> plan -> sample, each a whole line: a crash between two appends leaves
 * an orphan tree or a plan without a sample, which the next start repairs (resume.ts). A problem in
 * flight when the run stops (Ctrl-C, --max-failures, an error) is dropped, not failed: the next run
 * redoes it, replaying from the request journal (src/run-dir/journal.ts) what its calls got so far.
 * A problem's journal is dropped once its outcome (sample, failure, or plan with --stage plans) is
 * written, never before: a crash in between leaves a journal that the next start prunes.
 */
import { ExecutorError, PythonNotFoundError } from "../errors.js";
import type { Llm } from "../llm/types.js";
import { implementQuestion } from "../problems/problem-tests.js";
import { addUsage, emptyUsage } from "../roles/counting-llm.js";
import type { RequestJournal } from "../run-dir/journal.js";
import type { RecordAppender } from "../run-dir/records.js";
import { EmptyPlanError } from "../search/strategy.js";
import { STRATEGY_COUNTER_KEYS } from "../search/strategy-counters.js";
import {
  formatPlan,
  type PlanRecord,
  type Problem,
  type Sample,
  type SampleTests,
  type Stage,
} from "../types.js";
import type { Logger } from "../util/logger.js";
import type { Rng } from "../util/rng.js";
import type { CodeChecker } from "./code-checks.js";
import type { RunConfig } from "./config.js";
import type { Engine } from "./engine.js";
import { failureBudgetExceeded, maxFailuresOf } from "./failure-budget.js";
import { failureRecord } from "./failures.js";
import type { Task } from "./selection.js";
import { bump, type RunCounters, type StopCause } from "./summary.js";
import type { ProblemWork, WorkInProgress } from "./work-in-progress.js";

/** The run files a worker appends to; a stage's files are absent when the stage does not run. */
export interface RunAppenders {
  trees?: RecordAppender<"trees">;
  plans?: RecordAppender<"plans">;
  samples?: RecordAppender<"samples">;
  failures: RecordAppender<"failures">;
}

export interface WorkerContext {
  config: RunConfig;
  engine: Engine;
  /** The model every problem's calls go through (the LLM stack's). */
  llm: Llm;
  /** The request journal (absent with --no-journal): each problem's calls go through its unit. */
  journal?: RequestJournal;
  /** The run's Rng (from --seed); each problem gets its own stream of it. */
  rng: Rng;
  now: () => number;
  /** Aborted when the run stops. */
  signal: AbortSignal;
  files: RunAppenders;
  /** This invocation's counters, for the progress line and the summary. */
  counters: RunCounters;
  /** What the problems in progress have done, for the progress line (absent: not tracked). */
  work?: WorkInProgress;
  logger: Logger;
  /** Say something above the progress line. */
  message: (text: string) => void;
  /** Stop the run (once): no new problems start, those in flight are aborted. */
  stop: (cause: StopCause, detail?: string) => void;
  /** Code checks (compile, the problem's tests); absent with --no-check-code, or with no code to check. */
  checker?: CodeChecker;
}

/** What one problem's calls use. */
export interface ProblemContext {
  llm: Llm;
  rng: Rng;
  signal: AbortSignal;
  now: () => number;
  /** The compile check of the problem's code (code checks on). */
  checkCode?: (code: string) => Promise<string | null>;
}

/**
 * The one place a problem's model, clock and Rng are made. The Rng is the problem's own stream, so
 * results do not depend on which problem ran first. The model and the clock are the problem's unit of
 * the request journal: replies of an earlier, interrupted run are replayed, and the clock reads the
 * time they originally took (a --time-budget search stops where it would have).
 */
export function problemContext(ctx: WorkerContext, problem: Problem, work?: ProblemWork): ProblemContext {
  const unit = ctx.journal?.unit(problem.id, ctx.llm);
  const llm = unit?.llm ?? ctx.llm;
  const checker = ctx.checker;
  return {
    // Counted above the journal: a replayed call is progress too.
    llm: work ? work.count(llm) : llm,
    rng: ctx.rng.fork(problem.id),
    signal: ctx.signal,
    now: unit?.now ?? ctx.now,
    ...(checker ? { checkCode: (code: string) => checker.compile(code) } : {}),
  };
}

/** The strategies' counters the run summary sums (a fixed set: the summary stays small). */
const SEARCH_COUNTERS: readonly string[] = Object.values(STRATEGY_COUNTER_KEYS);

/** How a stage ended: its outcome written (a record or a failure), or stopped with the run. */
type StageEnd = "written" | "failed" | "stopped";

/** Run one task to its end: a sample, a plan (--stage plans), a recorded failure, or nothing (stopped). */
export async function runProblem(ctx: WorkerContext, task: Task): Promise<void> {
  const problem = task.problem;
  const t0 = ctx.now();
  const work = ctx.work?.start();
  let end: StageEnd = "stopped";
  try {
    end = await runStages(ctx, problemContext(ctx, problem, work), task, t0);
  } finally {
    work?.end(end === "stopped" ? "dropped" : "finished");
  }
  // Its outcome is on disk: what the journal kept for it will not be asked for again.
  if (end !== "stopped") await ctx.journal?.finish(problem.id);
}

async function runStages(ctx: WorkerContext, pc: ProblemContext, task: Task, t0: number): Promise<StageEnd> {
  const planned = task.plan ?? (await planStage(ctx, pc, task.problem));
  if (typeof planned === "string") return planned;
  if (task.plan === undefined && ctx.config.stage === "plans") return "written";
  if (ctx.signal.aborted) return "stopped";
  return codeStage(ctx, pc, task.problem, planned, t0);
}

/** Search a plan and write its tree and plan (or the failure). */
async function planStage(
  ctx: WorkerContext,
  pc: ProblemContext,
  problem: Problem,
): Promise<PlanRecord | "failed" | "stopped"> {
  const { files, counters } = ctx;
  let result: Awaited<ReturnType<Engine["plan"]>>;
  try {
    result = await ctx.engine.plan(problem, pc);
  } catch (e) {
    if (ctx.signal.aborted) return "stopped"; // redone on resume, not a failure
    // A search that produced no step keeps its tree for diagnosis (written before the failure).
    if (e instanceof EmptyPlanError) await files.trees?.append(e.tree);
    await recordFailure(ctx, problem, "plans", e);
    return "failed";
  }
  // Tree first, then plan: a crash between them leaves an orphan tree, dropped at the next start.
  await files.trees?.append(result.tree);
  await files.plans?.append(result.plan);
  const plan = result.plan;
  counters.plans++;
  bump(counters.stopReasons, plan.stopReason);
  if (plan.reachedEnd) counters.reachedEnd++;
  for (const key of SEARCH_COUNTERS) {
    const n = plan.counters[key];
    if (n) bump(counters.search, key, n);
  }
  counters.steps += plan.steps.length;
  if (ctx.config.stage === "plans") {
    counters.done++;
    counters.calls += plan.usage.calls;
    counters.promptTokens += plan.usage.promptTokens;
    counters.completionTokens += plan.usage.completionTokens;
    counters.problemSeconds += plan.seconds;
    ctx.logger.info(
      { id: problem.id, steps: plan.steps.length, stopReason: plan.stopReason },
      "plan written",
    );
  }
  return plan;
}

/** Implement a plan and write the sample (or the failure). */
async function codeStage(
  ctx: WorkerContext,
  pc: ProblemContext,
  problem: Problem,
  plan: PlanRecord,
  t0: number,
): Promise<StageEnd> {
  const { counters } = ctx;
  const t1 = ctx.now();
  let implemented: Implemented;
  let tests: SampleTests | undefined;
  try {
    const fromSearch = plan.code !== undefined ? await codeFromSearch(ctx, plan.code, plan.tests) : undefined;
    if (fromSearch) {
      implemented = fromSearch;
      tests = plan.tests;
    } else {
      // The implement prompt shows the first test when the question does not name what it calls.
      const asked = { id: problem.id, question: implementQuestion(problem.question, problem.tests) };
      implemented = await ctx.engine.implement(asked, plan.steps, pc);
    }
    if (!tests && ctx.checker && problem.tests)
      tests = await ctx.checker.test(problem.tests, implemented.code);
  } catch (e) {
    if (ctx.signal.aborted) return "stopped";
    // The executor itself failing is the run's fault, not the problem's: stop the run.
    if (e instanceof ExecutorError || e instanceof PythonNotFoundError) throw e;
    await recordFailure(ctx, problem, "code", e);
    return "failed";
  }
  if (ctx.signal.aborted) return "stopped";
  const sample = buildSample(ctx.config, problem, plan, implemented, (ctx.now() - t1) / 1000, tests);
  await ctx.files.samples?.append(sample);
  counters.done++;
  counters.samples++;
  counters.calls += sample.meta.calls;
  counters.promptTokens += sample.meta.promptTokens;
  counters.completionTokens += sample.meta.completionTokens;
  counters.problemSeconds += sample.meta.seconds;
  if (implemented.checked) counters.checks.compiled++;
  counters.checks.compileFailures += implemented.compileFailures ?? 0;
  if (tests) {
    counters.checks.tested++;
    if (tests.status === "pass") counters.checks.passed++;
  }
  ctx.logger.info(
    {
      id: problem.id,
      steps: plan.steps.length,
      calls: sample.meta.calls,
      seconds: sample.meta.seconds,
      wallSeconds: (ctx.now() - t0) / 1000,
      ...(tests ? { tests: tests.status } : {}),
    },
    "sample written",
  );
  return "written";
}

/** The code stage's result: the model's (engine.implement), or the code the search wrote ("search"). */
type Implemented = Omit<Awaited<ReturnType<Engine["implement"]>>, "codeFrom"> & { codeFrom: string };

/**
 * The code a strategy wrote with its plan (best-of-n and self-consistency with code, revision,
 * --verify-end): taken as it is, with no new call; its cost is in the plan's usage already.
 */
async function codeFromSearch(
  ctx: WorkerContext,
  code: string,
  tests: SampleTests | undefined,
): Promise<Implemented | undefined> {
  if (!ctx.checker) return { code, codeFrom: "search", usage: emptyUsage(), attempts: 0 };
  // With code checks on, search code that does not compile goes to the code stage like any plan;
  // code that passed the tests in the search has compiled, and is not sent to the executor again.
  if (tests?.status !== "pass" && (await ctx.checker.compile(code)) !== null) return undefined;
  return { code, codeFrom: "search", usage: emptyUsage(), attempts: 0, checked: true, compileFailures: 0 };
}

/** A sample: the plan, its code, and what both stages cost. */
function buildSample(
  config: RunConfig,
  problem: Problem,
  plan: PlanRecord,
  implemented: Implemented,
  codeSeconds: number,
  tests: SampleTests | undefined,
): Sample {
  const usage = addUsage(plan.usage, implemented.usage);
  return {
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
      seconds: Math.round((plan.seconds + codeSeconds) * 1000) / 1000,
      stopReason: plan.stopReason,
      reachedEnd: plan.reachedEnd,
      codeFrom: implemented.codeFrom,
      codeStyle: config.code.style,
      ...(implemented.checked ? { compiles: true } : {}),
      ...(tests ? { tests } : {}),
      counters: {
        ...plan.counters,
        codeAttempts: implemented.attempts,
        ...(implemented.checked ? { compileFailures: implemented.compileFailures ?? 0 } : {}),
      },
    },
  };
}

/** Write a failure record, count it, and stop the run when --max-failures is exceeded. */
async function recordFailure(ctx: WorkerContext, problem: Problem, stage: Stage, e: unknown): Promise<void> {
  const { counters } = ctx;
  const failure = failureRecord(problem.id, stage, e);
  await ctx.files.failures.append(failure);
  counters.failed++;
  bump(counters.failuresByKind, failure.kind);
  bump(counters.failuresByStage, stage);
  ctx.logger.warn({ id: problem.id, stage, kind: failure.kind, err: failure.error }, "problem failed");
  const why = failureBudgetExceeded(
    maxFailuresOf(ctx.config.run.maxFailures),
    counters.failed,
    counters.done + counters.failed,
  );
  if (why) {
    ctx.message(`sra: ${why}: stopping the run`);
    ctx.stop("max-failures", why);
  }
}
