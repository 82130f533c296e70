/**
 * What every plan strategy shares: its context (a policy, the problem's Rng, the parameters and the
 * clock), what it hands back (StrategyOutcome), and the tree and plan records built from that.
 * Pure: the policy, the Rng and the clock are injected; no I/O.
 */
import { ParseError } from "../errors.js";
import type { PlanRecord, SearchNode, StopReason, Strategy, TreeRecord, Usage } from "../types.js";
import type { Rng } from "../util/rng.js";
import { Counters } from "./counters.js";
import { parseSearchParams, type SearchParams } from "./params.js";
import type { TestVerdict } from "./policy.js";

export interface StrategyContext<P> {
  /** The roles the strategy calls (src/search/policy.ts). */
  policy: P;
  /** The problem's own stream (e.g. `createRng(seed).fork(problem.id)`): ties and request seeds. */
  rng: Rng;
  params: SearchParams;
  /** Milliseconds (e.g. Date.now or performance.now): the time budget and `seconds`. */
  now: () => number;
  signal?: AbortSignal;
}

export interface SearchProblem {
  id: string;
  question: string;
}

/** What a strategy found, before it becomes records. */
export interface StrategyOutcome {
  strategy: Strategy;
  nodes: SearchNode[];
  bestPath: number[];
  steps: string[];
  stopReason: StopReason;
  iterations: number;
  selections: number[];
  reachedEnd: boolean;
  /** Scores (0-10) of the steps on the chosen path (null where a strategy does not score). */
  scores: (number | null)[];
  counters: Record<string, number>;
  /** Wall-clock seconds from the strategy's start to its end. */
  seconds: number;
  /** Why there is no step, for the EmptyPlanError when `steps` is empty. */
  emptyMessage: string;
  /** The plan's code when the strategy wrote it (the code stage then takes it), and its test result. */
  code?: string;
  tests?: TestVerdict;
}

/** A strategy: one problem in, its outcome out. */
export type StrategyRunner<P> = (problem: SearchProblem, ctx: StrategyContext<P>) => Promise<StrategyOutcome>;

/** No step at all could be produced (e.g. every proposal was empty): the problem fails, tree kept. */
export class EmptyPlanError extends ParseError {
  readonly tree: TreeRecord;
  readonly usage: Usage;
  constructor(message: string, tree: TreeRecord, usage: Usage) {
    super("no-plan", message);
    this.tree = tree;
    this.usage = usage;
  }
}

/** A seed for one request, stable whatever order the concurrent calls run in. */
export function requestSeed(rng: Rng, label: string): number {
  return rng.fork(label).int(0x7fffffff);
}

/**
 * What every strategy sets up before its first call: parameters checked again (the core is also a
 * library API, and a bad range must fail before any call), the start time and the event counters.
 */
export function beginStrategy(ctx: StrategyContext<unknown>) {
  const params = parseSearchParams(ctx.params, undefined, { strict: false });
  const started = ctx.now();
  const counters = new Counters();
  /** Count a policy call's events. */
  const count = (events: readonly string[]): void => {
    for (const key of events) counters.add(key);
  };
  /** The outcome, with the counters and the seconds since the start. */
  const finish = (o: Omit<StrategyOutcome, "counters" | "seconds">): StrategyOutcome => ({
    ...o,
    counters: counters.toRecord(),
    seconds: Math.max(0, (ctx.now() - started) / 1000),
  });
  return { params, started, counters, count, finish };
}

/**
 * The tree record and the plan record of an outcome, with what the model calls cost (`usage`, counted
 * by the caller, who owns the model). An outcome without steps throws EmptyPlanError, with the tree
 * for diagnosis.
 */
export function planRecords(
  problem: SearchProblem,
  outcome: StrategyOutcome,
  usage: Usage,
): { tree: TreeRecord; plan: PlanRecord } {
  const tree: TreeRecord = {
    id: problem.id,
    nodes: outcome.nodes,
    bestPath: outcome.bestPath,
    stopReason: outcome.stopReason,
    iterations: outcome.iterations,
    counters: outcome.counters,
    selections: outcome.selections,
  };
  if (outcome.steps.length === 0) throw new EmptyPlanError(outcome.emptyMessage, tree, usage);
  const plan: PlanRecord = {
    id: problem.id,
    question: problem.question,
    steps: outcome.steps,
    reachedEnd: outcome.reachedEnd,
    stopReason: outcome.stopReason,
    scores: outcome.scores,
    strategy: outcome.strategy,
    usage,
    seconds: outcome.seconds,
    counters: outcome.counters,
    ...(outcome.code !== undefined ? { code: outcome.code } : {}),
    ...(outcome.tests ? { tests: outcome.tests } : {}),
  };
  return { tree, plan };
}
