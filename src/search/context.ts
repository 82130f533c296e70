/** What a search (or the CoT baseline) needs from its caller, and the helpers both share. */
import { ParseError } from "../errors.js";
import type { Llm } from "../llm/types.js";
import { Counters } from "../roles/counters.js";
import { countingLlm } from "../roles/counting-llm.js";
import type { PromptSet } from "../roles/prompts.js";
import type { RoleContext } from "../roles/role-context.js";
import type { TreeRecord, Usage } from "../types.js";
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
