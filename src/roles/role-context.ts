/**
 * What a role call needs besides its inputs: the model, the prompts, sampling, the problem's event
 * counters, and the abort signal. Each call also gets a seed (derived from the search's Rng and a
 * stable label), so a server that honours per-request seeds (vLLM) reproduces a run.
 */
import type { CompletionRequest, CompletionResult, Llm } from "../llm/types.js";
import { formatPlan } from "../types.js";
import { COUNTER_KEYS, type Counters } from "./counters.js";
import type { PromptSet } from "./prompts.js";

export interface RoleContext {
  llm: Llm;
  prompts: PromptSet;
  temperature: number;
  topP: number;
  counters: Counters;
  signal?: AbortSignal;
}

/** Call the model and count a reply cut off by max tokens. */
export async function callModel(ctx: RoleContext, request: CompletionRequest): Promise<CompletionResult> {
  const result = await ctx.llm.complete(request, ctx.signal);
  if (result.finishReason === "length") ctx.counters.add(COUNTER_KEYS.lengthTruncated);
  return result;
}

/** The `{{steps}}` value: numbered steps, or a note that there are none yet. */
export function renderSteps(steps: readonly string[]): string {
  return steps.length === 0 ? "(none yet)" : formatPlan(steps);
}

/** The `{{siblings}}` value: one idea per line, or "(none)". */
export function renderSiblings(siblings: readonly string[]): string {
  return siblings.length === 0 ? "(none)" : siblings.map((s) => `- ${s}`).join("\n");
}
