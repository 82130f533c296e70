/**
 * SRA-MCTS for one problem (paper section 3.1): repeat selection, reflection, expansion, evaluation
 * and backpropagation until a selected leaf's reflection is <end>, the iteration or time budget is
 * spent, or no leaf can be expanded. Pure: the policy (the model's roles), the Rng and the clock are
 * injected.
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
 *    a child starts with one visit and r = its reward (nodeReward: score, or score/10 with "unit");
 * 6. backpropagate (eq. 6a/6b) from the leaf to the root, after all its children are scored.
 *
 * Iterations that end in a dead end spend their reflection call and count as iterations, but do not
 * backpropagate: no child was scored, so there is no reward to pass up.
 */
import type { SearchNode, StopReason } from "../types.js";
import { backpropagate } from "./backpropagate.js";
import { bestPath } from "./best-path.js";
import { COUNTER_KEYS } from "./counters.js";
import { addChildren, expandLeaf } from "./expand.js";
import type { MctsPolicy, ReflectResult } from "./policy.js";
import { selectPath } from "./select.js";
import { beginStrategy, requestSeed, type StrategyRunner } from "./strategy.js";
import { createRoot, stepsOf } from "./tree.js";
import { acceptEnd, type TriedTerminals, verifiedCode } from "./verify-end.js";

export const runMcts: StrategyRunner<MctsPolicy> = async (problem, ctx) => {
  const begun = beginStrategy(ctx);
  const { params, counters, count } = begun;
  const seed = (label: string) => requestSeed(ctx.rng, label);
  const nodes: SearchNode[] = [createRoot()];
  const selections: number[] = [];
  const tried: TriedTerminals = new Map();
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

    const reflected = await ctx.policy.reflect(
      { question: problem.question, steps, seed: seed(`reflect:${leaf.id}`) },
      ctx.signal,
    );
    count(reflected.events);
    if (applyReflection(leaf, reflected, counters) === "end") {
      // --verify-end: a terminal whose code fails the tests gets reward 0 and the search goes on.
      const verify = { question: problem.question, params, tried, seed, counters, signal: ctx.signal };
      if (!(await acceptEnd(ctx.policy, nodes, leaf, verify))) continue;
      stopReason = "end";
      break;
    }
    if (leaf.depth >= params.maxDepth) {
      leaf.deadEnd = "max-depth";
      counters.add(COUNTER_KEYS.deadEndMaxDepth);
      continue;
    }
    const expansion = await expandLeaf(
      ctx.policy,
      {
        question: problem.question,
        steps,
        leafId: leaf.id,
        reflection: leaf.reflection ?? "",
        firstChildId: nodes.length,
      },
      { params, seed, signal: ctx.signal },
    );
    count(expansion.events);
    if (addChildren(nodes, leaf, expansion, params).length === 0) {
      leaf.deadEnd = "no-new-steps";
      counters.add(COUNTER_KEYS.deadEndNoNewSteps);
      continue;
    }
    backpropagate({ nodes }, leaf.id, params.alpha);
  }

  const best = bestPath(nodes);
  return begun.finish({
    strategy: "mcts",
    nodes,
    bestPath: best,
    steps: stepsOf(nodes, best),
    stopReason,
    iterations,
    selections,
    reachedEnd: stopReason === "end",
    scores: best.slice(1).map((id) => (nodes[id] as SearchNode).score.value),
    ...verifiedCode(tried, best),
    emptyMessage: `${problem.id}: the search produced no plan step (${stopReason} after ${iterations} iteration${iterations === 1 ? "" : "s"})`,
  });
};

/**
 * Record a reflection on the leaf it was made for. `<end>` below the root makes the leaf terminal and
 * ends the search; at the root it is ignored (a plan needs a step) and the proposer gets no hint.
 */
function applyReflection(
  leaf: SearchNode,
  reflected: ReflectResult,
  counters: { add(key: string): void },
): "end" | "expand" {
  leaf.reflectionRaw = reflected.raw;
  if (reflected.end && leaf.depth > 0) {
    leaf.reflection = "<end>";
    leaf.terminal = true;
    counters.add(COUNTER_KEYS.reflectEnd);
    return "end";
  }
  if (reflected.end) counters.add(COUNTER_KEYS.reflectEndAtRoot);
  leaf.reflection = reflected.end ? "" : reflected.thought;
  return "expand";
}
