/**
 * Evaluating samples on a benchmark: every sample against the task's tests through the executor,
 * then pass@k. evalplus's procedure (evalplus/evaluate.py): a sample runs the base inputs, then the
 * plus inputs, each set in a fresh process; plus runs even when base failed; a sample counts for
 * plus only when base and plus both pass.
 */
import type { EvalBenchmark, EvalTask } from "../benchmarks/eval-tasks.js";
import type { ExpectedOutputs, ExpectedSet, InputSet, TaskExpected } from "../benchmarks/expected.js";
import type { Executor } from "../execute/executor.js";
import type { CheckStatus, Verdict } from "../execute/types.js";
import { runPool } from "../run/pool.js";
import { meanPassAtK, type TaskCount } from "./pass-at-k.js";
import type { EvalResult, EvalSummary, SetResult } from "./records.js";

export interface EvalSample {
  taskId: string;
  /** The sample's number within its task (0-based). */
  index: number;
  /** The whole program to run (a solution, or the prompt with the completion appended). */
  solution: string;
}

export interface EvaluateOptions {
  benchmark: EvalBenchmark;
  /** Expected outputs of EvalPlus-shaped tasks (src/benchmarks/expected.ts). */
  expected?: ExpectedOutputs;
  executor: Executor;
  samples: readonly EvalSample[];
  /** After each sample: (samples done, samples in all, its result). */
  onProgress?: (done: number, total: number, result: EvalResult) => void;
  /** A sample whose code equals an earlier sample's of the same task gets that verdict (default true). */
  reuseIdentical?: boolean;
  /**
   * Stop starting samples when this aborts (Ctrl-C); those already running finish, and the results
   * hold only finished samples.
   */
  signal?: AbortSignal;
  /** After each sample's result, before its pool slot is free: to append it to a file as it comes. */
  onResult?: (result: EvalResult) => Promise<void>;
}

export interface Evaluation {
  results: EvalResult[];
  summary: EvalSummary;
}

function setResult(v: Verdict): SetResult {
  const r: SetResult = { status: v.status, passed: v.passed, total: v.total, seconds: v.seconds };
  if (v.failure) r.failure = { ...v.failure };
  return r;
}

function unscorable(reason: string): SetResult {
  return { status: "fail", passed: 0, total: 0, seconds: 0, failure: { index: null, reason } };
}

async function runSet(
  executor: Executor,
  task: EvalTask,
  solution: string,
  set: InputSet,
  expected: TaskExpected | undefined,
): Promise<SetResult> {
  const tests = task.tests;
  if (tests.kind === "evalplus") {
    const exp = expected?.[set];
    const broken = expected?.failure?.set === set ? expected.failure.failure : undefined;
    if (!exp || broken) {
      const why = broken ? `: ${broken.error ?? broken.reason} (input ${broken.index})` : "";
      return unscorable(`no expected outputs for the ${set} inputs: the canonical solution failed${why}`);
    }
    const verdict = await executor.checkFunction({
      code: solution,
      entryPoint: task.entryPoint ?? "",
      inputs: set === "base" ? tests.baseInputs : (tests.plusInputs ?? "[]"),
      expected: exp.outputs,
      timeLimits: exp.limits,
      deadlineSeconds: exp.deadline,
      atol: tests.atol,
      oracle: tests.oracle,
      ...(tests.inputsRule ? { inputsRule: tests.inputsRule } : {}),
    });
    return setResult(verdict);
  }
  if (tests.kind === "asserts") {
    const verdict = await executor.checkAsserts({
      code: solution,
      setup: tests.setup,
      tests: tests.tests,
      ...(tests.checkFunction && task.entryPoint
        ? { checkFunction: { name: tests.checkFunction, entryPoint: task.entryPoint } }
        : {}),
    });
    return setResult(verdict);
  }
  const verdict = await executor.checkStdio({
    code: solution,
    inputs: tests.inputs,
    outputs: tests.outputs,
    ...(tests.fnName ? { fnName: tests.fnName } : {}),
  });
  return setResult(verdict);
}

function hasPlus(task: EvalTask): boolean {
  return task.tests.kind === "evalplus" && task.tests.plusInputs !== undefined;
}

/** Expected cost of a sample (the canonical solution's total time), to start the slowest first. */
function costOf(task: EvalTask, expected: ExpectedOutputs | undefined): number {
  const e = expected?.tasks.get(task.taskId);
  const sum = (s: ExpectedSet | undefined) => (s ? s.times.reduce((a, b) => a + b, 0) : 0);
  return sum(e?.base) + sum(e?.plus);
}

async function evaluateOne(
  options: EvaluateOptions,
  task: EvalTask,
  sample: EvalSample,
): Promise<EvalResult> {
  const exp = options.expected?.tasks.get(task.taskId);
  const plus = hasPlus(task);
  const [base, plusResult] = await Promise.all([
    runSet(options.executor, task, sample.solution, "base", exp),
    plus ? runSet(options.executor, task, sample.solution, "plus", exp) : Promise.resolve(undefined),
  ]);
  const result: EvalResult = {
    task_id: sample.taskId,
    index: sample.index,
    base_status: base.status,
    plus_status: plusResult ? plusResult.status : null,
    base,
  };
  if (plusResult) result.plus = plusResult;
  return result;
}

export async function evaluateSamples(options: EvaluateOptions): Promise<Evaluation> {
  const started = performance.now();
  const byId = new Map(options.benchmark.tasks.map((t) => [t.taskId, t]));
  const known = options.samples.filter((s) => byId.has(s.taskId));
  const unknown = [...new Set(options.samples.filter((s) => !byId.has(s.taskId)).map((s) => s.taskId))];
  const order = [...known].sort(
    (a, b) => costOf(byId.get(b.taskId)!, options.expected) - costOf(byId.get(a.taskId)!, options.expected),
  );
  const firstOf = new Map<string, { index: number; result: Promise<EvalResult> }>();
  const reuse = options.reuseIdentical ?? true;
  let done = 0;
  let executed = 0;
  const results: EvalResult[] = [];
  // Two samples per worker in progress (each runs its base and plus sets at once) keep every worker
  // busy, slowest first, while a stop takes effect within one sample per worker.
  const concurrency = Math.max(1, options.executor.workers * 2);
  const source = (async function* () {
    yield* order;
  })();
  await runPool(
    source,
    { concurrency, ...(options.signal ? { signal: options.signal } : {}) },
    async (sample) => {
      const key = `${sample.taskId}\u0000${sample.solution}`;
      const first = reuse ? firstOf.get(key) : undefined;
      let result: EvalResult;
      if (first) {
        result = { ...(await first.result), index: sample.index, reused_from: first.index };
      } else {
        executed++;
        const promise = evaluateOne(options, byId.get(sample.taskId)!, sample);
        if (reuse) firstOf.set(key, { index: sample.index, result: promise });
        result = await promise;
      }
      await options.onResult?.(result);
      results.push(result);
      options.onProgress?.(++done, order.length, result);
    },
  );
  const position = new Map(options.benchmark.tasks.map((t, i) => [t.taskId, i]));
  results.sort((a, b) => position.get(a.task_id)! - position.get(b.task_id)! || a.index - b.index);
  const wall = (performance.now() - started) / 1000;
  const summary = summarize(options, results, unknown, wall, executed);
  return { results, summary };
}

function countStatuses(statuses: CheckStatus[]): { pass: number; fail: number; timeout: number } {
  const counts = { pass: 0, fail: 0, timeout: 0 };
  for (const s of statuses) counts[s]++;
  return counts;
}

/** The summary of a finished evaluation (pure over the results). */
export function summarize(
  options: Pick<EvaluateOptions, "benchmark" | "expected"> & { executor?: Pick<Executor, "sandbox"> },
  results: readonly EvalResult[],
  unknownTasks: readonly string[],
  wallSeconds: number,
  executed: number,
): EvalSummary {
  const { benchmark } = options;
  const perTask = new Map<string, EvalResult[]>();
  for (const r of results) {
    const list = perTask.get(r.task_id) ?? [];
    list.push(r);
    perTask.set(r.task_id, list);
  }
  const plus = benchmark.hasPlus;
  const baseCounts: TaskCount[] = [];
  const plusCounts: TaskCount[] = [];
  const solvedBase: string[] = [];
  const solvedPlus: string[] = [];
  for (const [id, list] of perTask) {
    const c = list.filter((r) => r.base_status === "pass").length;
    const cp = list.filter((r) => r.base_status === "pass" && r.plus_status === "pass").length;
    baseCounts.push({ n: list.length, c });
    plusCounts.push({ n: list.length, c: cp });
    if (c > 0) solvedBase.push(id);
    if (cp > 0) solvedPlus.push(id);
  }
  const ns = [...perTask.values()].map((l) => l.length);
  const checks = results.reduce((n, r) => n + 1 + (r.plus ? 1 : 0), 0);
  const checkSeconds = results.reduce(
    (s, r) => s + (r.reused_from === undefined ? r.base.seconds + (r.plus?.seconds ?? 0) : 0),
    0,
  );
  const canonicalFailures = [...(options.expected?.tasks ?? new Map())]
    .filter(([, t]) => t.failure !== undefined)
    .map(([id]) => id as string);
  const summary: EvalSummary = {
    benchmark: benchmark.name,
    file: benchmark.file,
    sha256: benchmark.sha256,
    tasks: perTask.size,
    samples: results.length,
    n: { min: ns.length ? Math.min(...ns) : 0, max: ns.length ? Math.max(...ns) : 0 },
    pass_at_k: { base: meanPassAtK(baseCounts), ...(plus ? { plus: meanPassAtK(plusCounts) } : {}) },
    counts: {
      base: countStatuses(results.map((r) => r.base_status)),
      ...(plus
        ? { plus: countStatuses(results.flatMap((r) => (r.plus_status ? [r.plus_status] : []))) }
        : {}),
    },
    solved: { base: solvedBase, ...(plus ? { plus: solvedPlus } : {}) },
    missing_tasks: benchmark.tasks.filter((t) => !perTask.has(t.taskId)).map((t) => t.taskId),
    unknown_tasks: [...unknownTasks],
    canonical_failures: canonicalFailures,
    timings: {
      wall_seconds: wallSeconds,
      checks,
      executed,
      check_seconds: checkSeconds,
      checks_per_second: wallSeconds > 0 ? checks / wallSeconds : 0,
      expected_seconds: options.expected?.seconds ?? 0,
    },
    ...(options.executor ? { sandbox: { ...options.executor.sandbox } } : {}),
  };
  const byDifficulty = passAtKByDifficulty(benchmark.tasks, perTask);
  if (byDifficulty) summary.by_difficulty = byDifficulty;
  return summary;
}

/** APPS's levels in the order MoTCoder's table gives them; other levels follow in file order. */
export const APPS_DIFFICULTIES = ["introductory", "interview", "competition"] as const;

/**
 * pass@k (base tests) per difficulty over the tasks with results, or undefined when no task has a
 * difficulty. Each level's k values are those every one of its tasks reaches.
 */
export function passAtKByDifficulty(
  tasks: readonly Pick<EvalTask, "taskId" | "difficulty">[],
  perTask: ReadonlyMap<string, readonly EvalResult[]>,
): EvalSummary["by_difficulty"] {
  const levels = new Map<string, TaskCount[]>();
  for (const level of APPS_DIFFICULTIES) levels.set(level, []);
  let any = false;
  for (const task of tasks) {
    const list = perTask.get(task.taskId);
    if (task.difficulty === undefined || !list) continue;
    any = true;
    const counts = levels.get(task.difficulty) ?? [];
    counts.push({ n: list.length, c: list.filter((r) => r.base_status === "pass").length });
    levels.set(task.difficulty, counts);
  }
  if (!any) return undefined;
  const out: NonNullable<EvalSummary["by_difficulty"]> = {};
  for (const [level, counts] of levels) {
    if (counts.length === 0) continue;
    out[level] = {
      tasks: counts.length,
      samples: counts.reduce((n, t) => n + t.n, 0),
      pass_at_k: meanPassAtK(counts),
    };
  }
  return out;
}
