/**
 * Evaluation (paper eq. 4): the model scores a new partial plan 0-10 (single-step correctness,
 * coherence, completeness, overall correctness). A reply without a usable score is asked again
 * `retries` times, then the node gets `fallbackScore` (counted: a search full of fallbacks is a model
 * that cannot grade, see paper section 7).
 */
import { COUNTER_KEYS } from "../search/counters.js";
import type { NodeScore } from "../types.js";
import { parseScore } from "./parse-score.js";
import { renderPrompt } from "./prompts.js";
import { callModel, type RoleContext, renderSteps } from "./role-context.js";

/**
 * With guided decoding on, a reply that is exactly the guided form, `Score: N` (or a bare integer
 * 0-10, from a server given an older regex), is recorded as form "guided".
 */
const GUIDED_REPLY = /^\s*(?:Score:\s*)?(10|[0-9])\s*$/;

export interface EvaluateOptions {
  maxTokens: number;
  retries: number;
  fallbackScore: number;
  /** When set, sent as the request's guidedRegex. */
  guidedRegex?: string;
  /** A seed per attempt (0-based). */
  seedFor?: (attempt: number) => number;
}

export async function evaluate(
  input: { question: string; steps: readonly string[]; step: string },
  ctx: RoleContext,
  options: EvaluateOptions,
): Promise<{ score: NodeScore; events: string[] }> {
  const messages = renderPrompt(ctx.prompts.evaluate, {
    question: input.question,
    steps: renderSteps(input.steps),
    step: `Step ${input.steps.length + 1}: ${input.step}`,
  });
  const events: string[] = [];
  let raw = "";
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) events.push(COUNTER_KEYS.scoreRetry);
    const called = await callModel(ctx, {
      purpose: "evaluate",
      messages,
      temperature: ctx.temperature,
      topP: ctx.topP,
      maxTokens: options.maxTokens,
      seed: options.seedFor?.(attempt),
      guidedRegex: options.guidedRegex,
    });
    events.push(...called.events);
    raw = called.reply.text;
    const guided = options.guidedRegex === undefined ? null : GUIDED_REPLY.exec(raw);
    const parsed = guided ? { value: Number(guided[1]), form: "guided" as const } : parseScore(raw);
    if ("value" in parsed) {
      events.push(`score.${parsed.form}`);
      return { score: { raw, value: parsed.value, parsedAs: parsed.form, attempts: attempt + 1 }, events };
    }
  }
  events.push(COUNTER_KEYS.scoreFallback);
  return {
    score: { raw, value: options.fallbackScore, parsedAs: "fallback", attempts: options.retries + 1 },
    events,
  };
}
