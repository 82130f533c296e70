/**
 * The LLM-backed policy: each role of src/search/policy.ts as one rendered prompt (prompts/) sent to
 * the model and one parsed reply. Sampling and token limits come from the search parameters; the
 * search supplies the state and the seed of each call. Nothing is kept between calls.
 */
import type { Llm } from "../llm/types.js";
import { GUIDED_SCORE_REGEX, type SearchParams } from "../search/params.js";
import type { CodeChecks, PlanPolicy } from "../search/policy.js";
import type { CodeStyle } from "../types.js";
import { critique, revisePlan } from "./critique.js";
import { draftPlan } from "./draft-plan.js";
import { evaluate } from "./evaluate.js";
import { type ImplementParams, implementPlan, NoCodeError } from "./implement.js";
import type { PromptSet } from "./prompts.js";
import { propose } from "./propose.js";
import { reflect } from "./reflect.js";
import type { RoleContext } from "./role-context.js";

export interface LlmPolicyOptions {
  /** The model (for generate: the problem's counted Llm). */
  llm: Llm;
  prompts: PromptSet;
  params: Pick<
    SearchParams,
    | "temperature"
    | "topP"
    | "reflectMaxTokens"
    | "stepMaxTokens"
    | "evalMaxTokens"
    | "cotMaxTokens"
    | "scoreRetries"
    | "fallbackScore"
    | "guided"
    | "critiqueMaxTokens"
  >;
  /** The code stage's parameters and style, for the strategies that write code inside the search. */
  code: ImplementParams & { style: CodeStyle };
  /** The problem's tests or examples (edge adapters over the executor), when it has some. */
  checks?: CodeChecks;
  /**
   * The question the code is written for, when it is not the plan's: the problem's question with its
   * first test shown (implementQuestion), so code written inside the search can pass the tests.
   */
  implementQuestion?: string;
}

/** A seed per code attempt from one request seed: attempt 0 gets the seed itself. */
function attemptSeed(seed: number, attempt: number): number {
  return attempt === 0 ? seed : (Math.imul(seed ^ (attempt * 0x9e3779b9), 0x85ebca6b) >>> 1) & 0x7fffffff;
}

export function createLlmPolicy(options: LlmPolicyOptions): PlanPolicy {
  const { llm, prompts, params, code } = options;
  const role = (signal: AbortSignal | undefined): RoleContext => ({
    llm,
    prompts,
    temperature: params.temperature,
    topP: params.topP,
    signal,
  });
  return {
    async reflect(input, signal) {
      const r = await reflect(input, role(signal), { maxTokens: params.reflectMaxTokens, seed: input.seed });
      return { end: r.reflection.end, thought: r.reflection.thought, raw: r.raw, events: r.events };
    },
    async propose(input, signal) {
      const r = await propose(input, role(signal), { maxTokens: params.stepMaxTokens, seed: input.seed });
      return { step: r.step, raw: r.raw, events: r.events };
    },
    evaluate: (input, signal) =>
      evaluate(input, role(signal), {
        maxTokens: params.evalMaxTokens,
        retries: params.scoreRetries,
        fallbackScore: params.fallbackScore,
        guidedRegex: params.guided ? GUIDED_SCORE_REGEX : undefined,
        seedFor: input.seed,
      }),
    draft: (input, signal) =>
      draftPlan(input, role(signal), { maxTokens: params.cotMaxTokens, seed: input.seed }),
    critique: (input, signal) =>
      critique(input, role(signal), { maxTokens: params.critiqueMaxTokens, seed: input.seed }),
    revise: (input, signal) =>
      revisePlan(input, role(signal), { maxTokens: params.cotMaxTokens, seed: input.seed }),
    async implement(input, signal) {
      try {
        const r = await implementPlan(
          { id: "", question: options.implementQuestion ?? input.question },
          input.steps,
          {
            llm,
            prompts,
            params: code,
            style: code.style,
            seedFor: (attempt) => attemptSeed(input.seed, attempt),
            ...(signal ? { signal } : {}),
          },
        );
        return { code: r.code, attempts: r.attempts, events: [] };
      } catch (e) {
        // Inside a search, a plan without code is a result (that candidate has none), not a failure.
        if (e instanceof NoCodeError) return { code: null, attempts: e.attempts, events: [] };
        throw e;
      }
    },
    ...(options.checks?.verifier ? { verifier: options.checks.verifier } : {}),
    ...(options.checks?.runner ? { runner: options.checks.runner } : {}),
  };
}
