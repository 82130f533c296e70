/**
 * Expansion's proposer (paper eq. 3): one next step in natural language, given the question, the
 * steps so far, the reflection, and the sibling steps already written for this leaf (so it proposes
 * a different idea).
 */
import { COUNTER_KEYS } from "../search/counters.js";
import { type CleanedStep, cleanStep } from "./clean-step.js";
import { renderPrompt } from "./prompts.js";
import { callModel, type RoleContext, renderSiblings, renderSteps } from "./role-context.js";

export interface ProposeOutcome extends CleanedStep {
  raw: string;
  events: string[];
}

export async function propose(
  input: { question: string; steps: readonly string[]; reflection: string; siblings: readonly string[] },
  ctx: RoleContext,
  options: { maxTokens: number; seed?: number },
): Promise<ProposeOutcome> {
  const messages = renderPrompt(ctx.prompts.propose, {
    question: input.question,
    steps: renderSteps(input.steps),
    reflection: input.reflection === "" ? "(no hint)" : input.reflection,
    siblings: renderSiblings(input.siblings),
  });
  const { reply, events } = await callModel(ctx, {
    purpose: "propose",
    messages,
    temperature: ctx.temperature,
    topP: ctx.topP,
    maxTokens: options.maxTokens,
    seed: options.seed,
  });
  const cleaned = cleanStep(reply.text);
  if (cleaned.strippedCode) events.push(COUNTER_KEYS.stepCodeStripped);
  if (cleaned.extraSteps) events.push(COUNTER_KEYS.stepExtraCut);
  return { ...cleaned, raw: reply.text, events };
}
