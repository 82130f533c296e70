/**
 * Self-refine's and revision's two roles on the model: the critic (prompts/critique.md) reads a plan
 * and its code and approves it or lists what is wrong; the reviser (prompts/revise.md) writes a new
 * whole plan from the earlier one and that feedback, split into steps like the CoT baseline's.
 */
import type { Attempt, CritiqueResult, DraftResult } from "../search/policy.js";
import { formatPlan } from "../types.js";
import { writePlan } from "./draft-plan.js";
import { parseCritique } from "./parse-critique.js";
import { renderPrompt } from "./prompts.js";
import { callModel, type RoleContext } from "./role-context.js";

/** The `{{code}}` value: the code in a fence, or a note that there is none yet. */
export function renderCode(code: string | null): string {
  return code === null ? "(not written yet)" : `\`\`\`python\n${code.trimEnd()}\n\`\`\``;
}

export async function critique(
  input: Attempt,
  ctx: RoleContext,
  options: { maxTokens: number; seed?: number },
): Promise<CritiqueResult> {
  const messages = renderPrompt(ctx.prompts.critique, {
    question: input.question,
    plan: formatPlan(input.steps),
    code: renderCode(input.code),
  });
  const { reply, events } = await callModel(ctx, {
    purpose: "critique",
    messages,
    temperature: ctx.temperature,
    topP: ctx.topP,
    maxTokens: options.maxTokens,
    seed: options.seed,
  });
  return { ...parseCritique(reply.text), raw: reply.text, events };
}

export function revisePlan(
  input: Attempt & { feedback: string },
  ctx: RoleContext,
  options: { maxTokens: number; seed?: number },
): Promise<DraftResult> {
  const messages = renderPrompt(ctx.prompts.revise, {
    question: input.question,
    plan: formatPlan(input.steps),
    code: renderCode(input.code),
    feedback: input.feedback.trim() === "" ? "(no details given)" : input.feedback,
  });
  return writePlan(ctx, "revise", messages, options);
}
