/** What a search (or the CoT baseline) needs from its caller, and the helpers both share. */
import { ParseError } from "../errors.js";
import type { Llm } from "../llm/types.js";
import { Counters } from "../roles/counters.js";
import { countingLlm } from "../roles/counting-llm.js";
import type { PromptSet } from "../roles/prompts.js";
import type { RoleContext } from "../roles/role-context.js";
import type { PlanRecord, SearchNode, StopReason, Strategy, TreeRecord, Usage } from "../types.js";
import type { Rng } from "../util/rng.js";
import { parseSearchParams, type SearchParams } from "./params.js";

export interface SearchContext {
  llm: Llm;
  /** The problem's own stream (e.g. `createRng(seed).fork(problem.id)`): ties and request seeds. */
  rng: Rng;
  prompts: PromptSet;
  params: SearchParams;
  /** Milliseconds (e.g. Date.now or performance.now): the time budget and `seconds`. */
  now: () => number;
  signal?: AbortSignal;
}

export interface SearchProblem {
  id: string;
  question: string;
}

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

export function roleContext(
  ctx: SearchContext,
  llm: Llm,
  params: SearchParams,
  counters: Counters,
): RoleContext {
  return {
    llm,
    prompts: ctx.prompts,
    temperature: params.temperature,
    topP: params.topP,
    counters,
    signal: ctx.signal,
  };
}

/**
 * What every strategy (MCTS, CoT) sets up before its first call: parameters checked again (the core
 * is also a library API, and a bad range must fail before any call), the start time, counters, and a
 * counting Llm behind the role context.
 */
export function beginStrategy(ctx: SearchContext) {
  const params = parseSearchParams(ctx.params, undefined, { strict: false });
  const started = ctx.now();
  const counters = new Counters();
  const counted = countingLlm(ctx.llm);
  const role = roleContext(ctx, counted.llm, params, counters);
  return { params, started, counters, counted, role };
}

/**
 * What every strategy hands back: the tree record and the plan record, built the same way. A strategy
 * that produced no step throws EmptyPlanError (with the tree, for diagnosis) instead.
 */
export function finishStrategy(
  problem: SearchProblem,
  ctx: SearchContext,
  begun: Pick<ReturnType<typeof beginStrategy>, "started" | "counters" | "counted">,
  result: {
    nodes: SearchNode[];
    bestPath: number[];
    steps: string[];
    stopReason: StopReason;
    iterations: number;
    selections: number[];
    reachedEnd: boolean;
    scores: (number | null)[];
    strategy: Strategy;
    /** The EmptyPlanError message when `steps` is empty. */
    emptyMessage: () => string;
  },
): { tree: TreeRecord; plan: PlanRecord } {
  const counterRecord = begun.counters.toRecord();
  const tree: TreeRecord = {
    id: problem.id,
    nodes: result.nodes,
    bestPath: result.bestPath,
    stopReason: result.stopReason,
    iterations: result.iterations,
    counters: counterRecord,
    selections: result.selections,
  };
  const usage = begun.counted.usage();
  if (result.steps.length === 0) throw new EmptyPlanError(result.emptyMessage(), tree, usage);
  const plan: PlanRecord = {
    id: problem.id,
    question: problem.question,
    steps: result.steps,
    reachedEnd: result.reachedEnd,
    stopReason: result.stopReason,
    scores: result.scores,
    strategy: result.strategy,
    usage,
    seconds: Math.max(0, (ctx.now() - begun.started) / 1000),
    counters: counterRecord,
  };
  return { tree, plan };
}
