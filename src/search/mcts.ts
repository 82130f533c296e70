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
 *
 * Parallel iterations (parallelIterations K > 1, tree-parallel MCTS with virtual loss): up to K
 * iterations are in flight. Each selection is made from the tree with every earlier result applied
 * and the paths still in flight carrying a virtual loss (virtual-loss.ts), so it goes elsewhere.
 * Results are applied in the order the leaves were selected (iteration-window.ts), and the window is
 * refilled after each: the selections, and so the requests and the tree, depend on K and the seed,
 * never on which call returns first. The iteration budget counts iterations started. The first
 * <end> in that order ends the search; iterations selected after it are discarded (aborted, not in
 * the tree, counted in `parallel.discarded`; the calls they made are in the usage). With K = 1 this
 * is the sequential search, call for call.
 */
import type { SearchNode, StopReason } from "../types.js";
import { bestPath } from "./best-path.js";
import { COUNTER_KEYS } from "./counters.js";
import { applyIteration, type IterationResult, runIteration } from "./iteration.js";
import { IterationWindow } from "./iteration-window.js";
import type { SearchParams } from "./params.js";
import type { MctsPolicy } from "./policy.js";
import { selectPath } from "./select.js";
import { beginStrategy, requestSeed, type StrategyRunner } from "./strategy.js";
import { createRoot, stepsOf } from "./tree.js";
import { PendingPaths } from "./virtual-loss.js";

export const runMcts: StrategyRunner<MctsPolicy> = async (problem, ctx) => {
  const begun = beginStrategy(ctx);
  const { params, counters } = begun;
  const seed = (label: string) => requestSeed(ctx.rng, label);
  const nodes: SearchNode[] = [createRoot()];
  const selections: number[] = [];
  const parallel = params.parallelIterations;
  const pending = parallel > 1 ? new PendingPaths(params.virtualLoss) : undefined;
  const window = new IterationWindow<IterationResult>({
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ownSignals: parallel > 1,
    isFinal: (r) => r.kind === "end",
  });
  let started = 0;
  let budgetStop: StopReason | undefined;
  let stopReason: StopReason;

  try {
    for (;;) {
      // Start iterations until K are in flight (one at K = 1), each selected from the tree as applied
      // so far, with the virtual loss of those still in flight.
      const limit = started < params.parallelAfter ? 1 : parallel;
      while (budgetStop === undefined && window.size < limit) {
        budgetStop = spentBudget(started, params, () => ctx.now() - begun.started);
        if (budgetStop !== undefined) break;
        ctx.signal?.throwIfAborted();
        const path = selectPath(nodes, ctx.rng, params.c, pending);
        if (path === null) break; // nothing selectable until an iteration in flight is applied
        started += 1;
        pending?.add(path);
        const leaf = nodes[path.at(-1) as number] as SearchNode;
        const input = {
          question: problem.question,
          leaf: { id: leaf.id, depth: leaf.depth },
          steps: stepsOf(nodes, path),
          // With nothing older in flight this one is applied next, so its children's ids are known.
          firstChildId: window.size === 0 ? nodes.length : null,
        };
        window.start(path, (signal) => runIteration(ctx.policy, input, { params, seed, signal }));
      }
      // Apply the oldest iteration's result (they are applied in the order they were selected).
      const head = await window.takeOldest();
      if (!head) {
        stopReason = budgetStop ?? "exhausted";
        break;
      }
      const settled = head.result;
      pending?.remove(head.path);
      if (!settled.ok) throw settled.error;
      selections.push(head.leafId);
      if (applyIteration(nodes, head.leafId, settled.value, { params, counters }) === "end") {
        stopReason = "end";
        break;
      }
    }
  } finally {
    // After <end>: the younger iterations (none at K = 1). After an error: all, before it leaves.
    const discarded = await window.discardAll();
    if (discarded > 0) counters.add(COUNTER_KEYS.parallelDiscarded, discarded);
  }

  const best = bestPath(nodes);
  const iterations = selections.length;
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
    emptyMessage: `${problem.id}: the search produced no plan step (${stopReason} after ${iterations} iteration${iterations === 1 ? "" : "s"})`,
  });
};

/**
 * Why no further iteration may start: the iteration budget, or the time budget (checked between
 * iterations only, and never before the first: a plan needs one expansion).
 */
function spentBudget(started: number, params: SearchParams, elapsedMs: () => number): StopReason | undefined {
  if (started >= params.iterations) return "iterations";
  if (started > 0 && params.timeBudgetSec !== null && elapsedMs() >= params.timeBudgetSec * 1000) {
    return "time";
  }
  return undefined;
}
