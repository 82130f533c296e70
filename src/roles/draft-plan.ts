/**
 * The CoT baseline's one call (paper section 4.4): the whole step-by-step plan in one generation
 * (prompts/cot.md), split into steps by parsePlanSteps. The plan is complete unless the reply was cut
 * off by max tokens.
 */
import type { ChatMessage } from "../llm/types.js";
import { parsePlanSteps } from "./parse-plan.js";
import { renderPrompt } from "./prompts.js";
import { callModel, type RoleContext } from "./role-context.js";

export interface DraftOutcome {
  steps: string[];
  numbered: boolean;
  strippedCode: boolean;
  complete: boolean;
  raw: string;
  events: string[];
}

export function draftPlan(
  input: { question: string },
  ctx: RoleContext,
  options: { maxTokens: number; seed?: number },
): Promise<DraftOutcome> {
  return writePlan(ctx, "cot", renderPrompt(ctx.prompts.cot, { question: input.question }), options);
}

/** One call whose reply is a whole plan (the CoT draft, a revision), split into steps. */
export async function writePlan(
  ctx: RoleContext,
  purpose: "cot" | "revise",
  messages: ChatMessage[],
  options: { maxTokens: number; seed?: number },
): Promise<DraftOutcome> {
  const { reply, events } = await callModel(ctx, {
    purpose,
    messages,
    temperature: ctx.temperature,
    topP: ctx.topP,
    maxTokens: options.maxTokens,
    seed: options.seed,
  });
  const parsed = parsePlanSteps(reply.text);
  return { ...parsed, complete: reply.finishReason !== "length", raw: reply.text, events };
}
