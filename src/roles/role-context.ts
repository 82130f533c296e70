/**
 * What a role call needs besides its inputs: the model, the prompts, sampling and the abort signal.
 * Each call also gets a seed (derived from the search's Rng and a stable label), so a server that
 * honours per-request seeds (vLLM) reproduces a run. A role returns its counter events with its
 * result instead of counting into shared state, so calls stay independent of each other.
 */
import type { CompletionRequest, CompletionResult, Llm } from "../llm/types.js";
import { COUNTER_KEYS } from "../search/counters.js";
import { formatPlan } from "../types.js";
import type { PromptSet } from "./prompts.js";

export interface RoleContext {
  llm: Llm;
  prompts: PromptSet;
  temperature: number;
  topP: number;
  signal?: AbortSignal;
}

/** Call the model; a reply cut off by max tokens is the event "length.truncated". */
export async function callModel(
  ctx: RoleContext,
  request: CompletionRequest,
): Promise<{ reply: CompletionResult; events: string[] }> {
  const reply = await ctx.llm.complete(request, ctx.signal);
  return { reply, events: reply.finishReason === "length" ? [COUNTER_KEYS.lengthTruncated] : [] };
}

/** The `{{steps}}` value: numbered steps, or a note that there are none yet. */
export function renderSteps(steps: readonly string[]): string {
  return steps.length === 0 ? "(none yet)" : formatPlan(steps);
}

/** The `{{siblings}}` value: one idea per line, or "(none)". */
export function renderSiblings(siblings: readonly string[]): string {
  return siblings.length === 0 ? "(none)" : siblings.map((s) => `- ${s}`).join("\n");
}
