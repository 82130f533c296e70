/**
 * The CoT baseline (paper section 4.4): the model writes a whole step-by-step plan in ONE generation
 * (the policy's `draft`, prompts/cot.md), which is split into steps. No search: the tree is the root
 * plus one chain, and the stop reason is "single-pass". A reply with no step in it is asked again
 * (maxRegenerations times) before the problem fails. The plan is complete by construction unless the
 * reply was cut off by max tokens, so `reachedEnd` is true exactly when the draft is complete.
 */
import type { SearchNode } from "../types.js";
import { draftSteps } from "./candidates.js";
import type { CotPolicy } from "./policy.js";
import { beginStrategy, requestSeed, type StrategyRunner } from "./strategy.js";
import { addChild, createRoot } from "./tree.js";

export const runCot: StrategyRunner<CotPolicy> = async (problem, ctx) => {
  const begun = beginStrategy(ctx);
  const { params, count } = begun;

  const { draft, generations, events } = await draftSteps(ctx.policy, problem.question, {
    label: "cot",
    params,
    seed: (label) => requestSeed(ctx.rng, label),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  count(events);
  const steps = draft?.steps ?? [];

  const reachedEnd = draft?.complete ?? true;
  const nodes: SearchNode[] = [createRoot()];
  let parent = nodes[0] as SearchNode;
  parent.visits = 1;
  for (const [i, step] of steps.entries()) {
    // The whole reply is kept once, on the first step's node.
    parent = addChild(nodes, parent, step, i === 0 ? (draft?.raw ?? "") : "");
  }
  if (nodes.length > 1 && reachedEnd) parent.terminal = true;

  return begun.finish({
    strategy: "cot",
    nodes,
    bestPath: nodes.map((n) => n.id),
    steps,
    stopReason: "single-pass",
    iterations: generations,
    selections: [],
    reachedEnd,
    scores: steps.map(() => null),
    emptyMessage: `${problem.id}: the CoT reply had no plan steps after ${generations} generation${generations === 1 ? "" : "s"}`,
  });
};
