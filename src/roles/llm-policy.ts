/**
 * The LLM-backed policy: each role of src/search/policy.ts as one rendered prompt (prompts/) sent to
 * the model and one parsed reply. Sampling and token limits come from the search parameters; the
 * search supplies the state and the seed of each call. Nothing is kept between calls.
 */
import type { Llm } from "../llm/types.js";
import { GUIDED_SCORE_REGEX, type SearchParams } from "../search/params.js";
import type { PlanPolicy } from "../search/policy.js";
import { draftPlan } from "./draft-plan.js";
import { evaluate } from "./evaluate.js";
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
  >;
}

export function createLlmPolicy(options: LlmPolicyOptions): PlanPolicy {
  const { llm, prompts, params } = options;
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
  };
}
