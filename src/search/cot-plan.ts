/**
 * The CoT baseline (paper section 4.4): the model writes a whole step-by-step plan in ONE generation
 * (prompts/cot.md), which is split into steps. No search: the tree is the root plus one chain, and
 * the stop reason is "single-pass". A reply with no step in it is asked again (maxRegenerations times)
 * before the problem fails. The plan is complete by construction unless the reply was cut off by max
 * tokens, so `reachedEnd` is true exactly when the finish reason is not "length".
 */

import type { CompletionResult } from "../llm/types.js";
import { COUNTER_KEYS } from "../roles/counters.js";
import { type ParsedPlan, parsePlanSteps } from "../roles/parse-plan.js";
import { renderPrompt } from "../roles/prompts.js";
import { callModel } from "../roles/role-context.js";
import type { PlanRecord, SearchNode, TreeRecord } from "../types.js";
import {
  beginStrategy,
  finishStrategy,
  requestSeed,
  type SearchContext,
  type SearchProblem,
} from "./context.js";
import { addChild, createRoot } from "./tree.js";

export async function generateCotPlan(
  problem: SearchProblem,
  ctx: SearchContext,
): Promise<{ tree: TreeRecord; plan: PlanRecord }> {
  const begun = beginStrategy(ctx);
  const { params, counters, role } = begun;
  const messages = renderPrompt(ctx.prompts.cot, { question: problem.question });

  let reply: CompletionResult | undefined;
  let parsed: ParsedPlan = { steps: [], numbered: false, strippedCode: false };
  let generations = 0;
  for (let attempt = 0; attempt <= params.maxRegenerations && parsed.steps.length === 0; attempt++) {
    ctx.signal?.throwIfAborted();
    if (attempt > 0) counters.add(COUNTER_KEYS.cotRetry);
    generations += 1;
    reply = await callModel(role, {
      purpose: "cot",
      messages,
      temperature: params.temperature,
      topP: params.topP,
      maxTokens: params.cotMaxTokens,
      seed: requestSeed(ctx.rng, `cot:${attempt}`),
    });
    parsed = parsePlanSteps(reply.text);
  }
  if (parsed.strippedCode) counters.add(COUNTER_KEYS.stepCodeStripped);
  if (parsed.steps.length > 0 && !parsed.numbered) counters.add(COUNTER_KEYS.cotUnnumbered);

  const reachedEnd = reply?.finishReason !== "length";
  const nodes: SearchNode[] = [createRoot()];
  let parent = nodes[0] as SearchNode;
  parent.visits = 1;
  for (const [i, step] of parsed.steps.entries()) {
    // The whole reply is kept once, on the first step's node.
    parent = addChild(nodes, parent, step, i === 0 ? (reply?.text ?? "") : "");
  }
  if (nodes.length > 1 && reachedEnd) parent.terminal = true;

  return finishStrategy(problem, ctx, begun, {
    nodes,
    bestPath: nodes.map((n) => n.id),
    steps: parsed.steps,
    stopReason: "single-pass",
    iterations: generations,
    selections: [],
    reachedEnd,
    scores: parsed.steps.map(() => null),
    strategy: "cot",
    emptyMessage: () =>
      `${problem.id}: the CoT reply had no plan steps after ${generations} generation${generations === 1 ? "" : "s"}`,
  });
}
