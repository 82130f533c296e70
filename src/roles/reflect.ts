/**
 * Reflection (paper eq. 5): before a leaf is expanded, the model writes a short thought for the next
 * step, or `<end>` when the steps so far solve the problem.
 */
import { COUNTER_KEYS } from "../search/counters.js";
import { parseReflection, type Reflection } from "./parse-reflection.js";
import { renderPrompt } from "./prompts.js";
import { callModel, type RoleContext, renderSteps } from "./role-context.js";

export interface ReflectOutcome {
  reflection: Reflection;
  raw: string;
  events: string[];
}

export async function reflect(
  input: { question: string; steps: readonly string[] },
  ctx: RoleContext,
  options: { maxTokens: number; seed?: number },
): Promise<ReflectOutcome> {
  const messages = renderPrompt(ctx.prompts.reflect, {
    question: input.question,
    steps: renderSteps(input.steps),
  });
  const { reply, events } = await callModel(ctx, {
    purpose: "reflect",
    messages,
    temperature: ctx.temperature,
    topP: ctx.topP,
    maxTokens: options.maxTokens,
    seed: options.seed,
  });
  const reflection = parseReflection(reply.text);
  if (!reflection.end && reflection.thought === "") events.push(COUNTER_KEYS.reflectEmpty);
  return { reflection, raw: reply.text, events };
}
