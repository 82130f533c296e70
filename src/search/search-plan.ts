/**
 * SRA-MCTS for one problem (paper section 3.1): repeat selection, reflection, expansion, evaluation
 * and backpropagation until a selected leaf's reflection is <end>, the iteration or time budget is
 * spent, or no leaf can be expanded. Pure: the model, the Rng and the clock are injected.
 *
 * One iteration:
 * 1. select a leaf by UCB1 (select.ts; the root on the first iteration);
 * 2. reflect on it (eq. 5): <end> marks it terminal and ends the search ("end"); at the root <end>
 *    is ignored (a plan needs a step) and the proposer gets no hint;
 * 3. a leaf at maxDepth is closed instead of expanded ("max-depth" dead end);
 * 4. expand (eq. 2-3): `branches` children, one after another, each prompt listing the siblings
 *    already written; a step that is empty or repeats a sibling or an ancestor (normaliseStep) is
 *    regenerated up to maxRegenerations times, then its slot is dropped; no child -> the leaf is
 *    closed ("no-new-steps");
 * 5. evaluate (eq. 4) each child as soon as it is written, concurrently with writing the next;
 *    a child starts with one visit and r = score (score/10 with rewardScale "unit");
 * 6. backpropagate (eq. 6a/6b) from the leaf to the root, after all its children are scored.
 *
 * Iterations that end in a dead end spend their reflection call and count as iterations, but do not
 * backpropagate: no child was scored, so there is no reward to pass up.
 */
import { COUNTER_KEYS } from "../roles/counters.js";
import { reflect } from "../roles/reflect.js";
import type { PlanRecord, SearchNode, StopReason, TreeRecord } from "../types.js";
import { backpropagate } from "./backpropagate.js";
import { bestPath } from "./best-path.js";
import {
  beginStrategy,
  finishStrategy,
  requestSeed,
  type SearchContext,
  type SearchProblem,
} from "./context.js";
import { expandLeaf } from "./expand.js";
import { selectPath } from "./select.js";
import { createRoot, stepsOf } from "./tree.js";

export { EmptyPlanError, type SearchContext, type SearchProblem } from "./context.js";
export { generateCotPlan } from "./cot-plan.js";

export async function searchPlan(
  problem: SearchProblem,
  ctx: SearchContext,
): Promise<{ tree: TreeRecord; plan: PlanRecord }> {
  const begun = beginStrategy(ctx);
  const { params, counters, role } = begun;
  const seed = (label: string) => requestSeed(ctx.rng, label);
  const nodes: SearchNode[] = [createRoot()];
  const selections: number[] = [];
  let iterations = 0;
  let stopReason: StopReason;

  for (;;) {
    if (iterations >= params.iterations) {
      stopReason = "iterations";
      break;
    }
    // Checked between iterations only, and never before the first (a plan needs one expansion).
    if (
      iterations > 0 &&
      params.timeBudgetSec !== null &&
      ctx.now() - begun.started >= params.timeBudgetSec * 1000
    ) {
      stopReason = "time";
      break;
    }
    ctx.signal?.throwIfAborted();
    const path = selectPath(nodes, ctx.rng, params.c);
    if (path === null) {
      stopReason = "exhausted";
      break;
    }
    iterations += 1;
    const leaf = nodes[path.at(-1) as number] as SearchNode;
    selections.push(leaf.id);
    const steps = stepsOf(nodes, path);

    const { reflection, raw } = await reflect({ question: problem.question, steps }, role, {
      maxTokens: params.reflectMaxTokens,
      seed: seed(`reflect:${leaf.id}`),
    });
    leaf.reflectionRaw = raw;
    if (reflection.end && leaf.depth > 0) {
      leaf.reflection = "<end>";
      leaf.terminal = true;
      counters.add(COUNTER_KEYS.reflectEnd);
      stopReason = "end";
      break;
    }
    if (reflection.end) counters.add(COUNTER_KEYS.reflectEndAtRoot);
    leaf.reflection = reflection.end ? "" : reflection.thought;

    if (leaf.depth >= params.maxDepth) {
      leaf.deadEnd = "max-depth";
      counters.add(COUNTER_KEYS.deadEndMaxDepth);
      continue;
    }
    const children = await expandLeaf(
      { question: problem.question, params, role, counters, nodes, seed },
      leaf,
      steps,
    );
    if (children.length === 0) {
      leaf.deadEnd = "no-new-steps";
      counters.add(COUNTER_KEYS.deadEndNoNewSteps);
      continue;
    }
    backpropagate({ nodes }, leaf.id, params.alpha);
  }

  const best = bestPath(nodes);
  return finishStrategy(problem, ctx, begun, {
    nodes,
    bestPath: best,
    steps: stepsOf(nodes, best),
    stopReason,
    iterations,
    selections,
    reachedEnd: stopReason === "end",
    scores: best.slice(1).map((id) => (nodes[id] as SearchNode).score.value),
    strategy: "mcts",
    emptyMessage: () =>
      `${problem.id}: the search produced no plan step (${stopReason} after ${iterations} iteration${iterations === 1 ? "" : "s"})`,
  });
}
