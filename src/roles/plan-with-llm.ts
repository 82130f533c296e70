/**
 * A plan strategy run on a language model: the LLM-backed policy over the model, the strategy of
 * src/search/, and the records. What the model calls cost is counted here, per problem and stage
 * (countingLlm), and written into the plan record.
 */
import type { Llm } from "../llm/types.js";
import { parseSearchParams, type SearchParams } from "../search/params.js";
import type { CodeChecks } from "../search/policy.js";
import { runStrategy } from "../search/strategies.js";
import { planRecords, type SearchProblem } from "../search/strategy.js";
import type { CodeStyle, PlanRecord, Strategy, TreeRecord } from "../types.js";
import type { Rng } from "../util/rng.js";
import { countingLlm } from "./counting-llm.js";
import { DEFAULT_CODE_MAX_TOKENS, DEFAULT_CODE_RETRIES, type ImplementParams } from "./implement.js";
import { createLlmPolicy } from "./llm-policy.js";
import type { PromptSet } from "./prompts.js";

export interface SearchContext {
  llm: Llm;
  /** The problem's own stream (e.g. `createRng(seed).fork(problem.id)`): ties and request seeds. */
  rng: Rng;
  prompts: PromptSet;
  params: SearchParams;
  /** Milliseconds (e.g. Date.now or performance.now): the time budget and `seconds`. */
  now: () => number;
  signal?: AbortSignal;
  /**
   * The code stage, for the strategies that write code inside the search (default: the search's
   * sampling, DEFAULT_CODE_MAX_TOKENS and DEFAULT_CODE_RETRIES, plain style).
   */
  code?: ImplementParams & { style: CodeStyle };
  /** The problem's tests or examples, bound by the caller (absent: no code is run in the search). */
  checks?: CodeChecks;
  /** The question the search's code is written for, when not the plan's (implementQuestion). */
  implementQuestion?: string;
}

/** Plan one problem with `strategy`; throws EmptyPlanError (tree attached) when no step came out. */
export async function planWithLlm(
  strategy: Strategy,
  problem: SearchProblem,
  ctx: SearchContext,
): Promise<{ tree: TreeRecord; plan: PlanRecord }> {
  // Checked before any call (the core is also a library API); the strategy checks again.
  const params = parseSearchParams(ctx.params, undefined, { strict: false });
  const counted = countingLlm(ctx.llm);
  const code = ctx.code ?? {
    temperature: params.temperature,
    topP: params.topP,
    maxTokens: DEFAULT_CODE_MAX_TOKENS,
    retries: DEFAULT_CODE_RETRIES,
    style: "plain",
  };
  const policy = createLlmPolicy({
    llm: counted.llm,
    prompts: ctx.prompts,
    params,
    code,
    ...(ctx.checks ? { checks: ctx.checks } : {}),
    ...(ctx.implementQuestion ? { implementQuestion: ctx.implementQuestion } : {}),
  });
  const outcome = await runStrategy(strategy, problem, {
    policy,
    rng: ctx.rng,
    params,
    now: ctx.now,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  return planRecords(problem, outcome, counted.usage());
}

/** SRA-MCTS (paper section 3.1) on a model. */
export function searchPlan(problem: SearchProblem, ctx: SearchContext) {
  return planWithLlm("mcts", problem, ctx);
}

/** The CoT baseline (paper section 4.4) on a model. */
export function generateCotPlan(problem: SearchProblem, ctx: SearchContext) {
  return planWithLlm("cot", problem, ctx);
}
