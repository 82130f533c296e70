/**
 * Step-level beam search over plan steps, with SRA-MCTS's roles: the reflection decides <end>, the
 * proposer writes next steps (each shown its siblings), the evaluator scores them. Each depth, every
 * beam is reflected on and expanded concurrently: a beam whose reflection says <end> is a finished
 * plan; the others get `beamExpansions` children each (regenerated and scored as in MCTS expansion),
 * and the `beamWidth` children with the best mean step score along their path become the next beams
 * (ties: the lower node id, i.e. the earlier beam and slot). The search stops at the first depth where
 * a beam finishes ("end": of the finished beams, the best-scored is the plan, as SRA-MCTS accepts its
 * first <end>), when no beam can grow ("exhausted": all at maxDepth or without new steps), or when the
 * time budget is spent between depths ("time"); without <end> the best-scored beam is the plan.
 * Requests are labelled by the beam's node id, so results depend on the seed only.
 */
import type { SearchNode, StopReason } from "../types.js";
import { settleAll } from "./candidates.js";
import { COUNTER_KEYS } from "./counters.js";
import { addChildren, expandLeaf } from "./expand.js";
import type { Evaluator, Proposer, Reflector } from "./policy.js";
import { beginStrategy, requestSeed, type StrategyRunner } from "./strategy.js";
import { STRATEGY_COUNTER_KEYS } from "./strategy-counters.js";
import { createRoot, pathTo, stepsOf } from "./tree.js";

export type BeamPolicy = Reflector & Proposer & Evaluator;

/** The mean step score along a node's path (unscored steps count as `fallback`). */
export function pathScore(nodes: readonly SearchNode[], id: number, fallback: number): number {
  const path = pathTo(nodes, id).slice(1);
  if (path.length === 0) return Number.NEGATIVE_INFINITY;
  const sum = path.reduce((s, n) => s + ((nodes[n] as SearchNode).score.value ?? fallback), 0);
  return sum / path.length;
}

/** Node ids ranked by path score, best first (ties: lower id). */
function rank(nodes: readonly SearchNode[], ids: readonly number[], fallback: number): number[] {
  const scored = ids.map((id) => ({ id, score: pathScore(nodes, id, fallback) }));
  scored.sort((a, b) => b.score - a.score || a.id - b.id);
  return scored.map((s) => s.id);
}

export const runBeam: StrategyRunner<BeamPolicy> = async (problem, ctx) => {
  const begun = beginStrategy(ctx);
  const { params, counters, count } = begun;
  const { policy, signal } = ctx;
  const { question } = problem;
  const nodes: SearchNode[] = [createRoot()];
  (nodes[0] as SearchNode).visits = 1;
  const selections: number[] = [];
  let beams = [0];
  let depths = 0;
  let stopReason: StopReason = "exhausted";
  let finished: number[] = [];

  while (beams.length > 0) {
    if (
      depths > 0 &&
      params.timeBudgetSec !== null &&
      ctx.now() - begun.started >= params.timeBudgetSec * 1000
    ) {
      stopReason = "time";
      break;
    }
    signal?.throwIfAborted();
    selections.push(...beams);
    const reflections = await settleAll(
      beams.map((id) =>
        policy.reflect(
          {
            question,
            steps: stepsOf(nodes, pathTo(nodes, id)),
            seed: requestSeed(ctx.rng, `beam:reflect:${id}`),
          },
          signal,
        ),
      ),
    );
    const growing: number[] = [];
    for (const [i, id] of beams.entries()) {
      const node = nodes[id] as SearchNode;
      const r = reflections[i] as (typeof reflections)[number];
      count(r.events);
      node.reflectionRaw = r.raw;
      if (r.end && node.depth > 0) {
        node.reflection = "<end>";
        node.terminal = true;
        counters.add(COUNTER_KEYS.reflectEnd);
        finished.push(id);
        continue;
      }
      if (r.end) counters.add(COUNTER_KEYS.reflectEndAtRoot);
      node.reflection = r.end ? "" : r.thought;
      if (node.depth >= params.maxDepth) {
        node.deadEnd = "max-depth";
        counters.add(COUNTER_KEYS.deadEndMaxDepth);
      } else growing.push(id);
    }
    if (finished.length > 0) {
      stopReason = "end";
      break;
    }
    if (growing.length === 0) break;
    depths += 1;
    counters.add(STRATEGY_COUNTER_KEYS.beamDepth);
    const expansions = await settleAll(
      growing.map((id) => {
        const node = nodes[id] as SearchNode;
        return expandLeaf(
          policy,
          {
            question,
            steps: stepsOf(nodes, pathTo(nodes, id)),
            leafId: id,
            reflection: node.reflection ?? "",
            firstChildId: 0,
          },
          {
            params: { branches: params.beamExpansions, maxRegenerations: params.maxRegenerations },
            // Labelled by the beam's node: unique per beam whatever ids its children get.
            seed: (label) => requestSeed(ctx.rng, `beam:${id}:${label}`),
            ...(signal ? { signal } : {}),
          },
        );
      }),
    );
    const children: number[] = [];
    for (const [i, id] of growing.entries()) {
      const expansion = expansions[i] as (typeof expansions)[number];
      count(expansion.events);
      const added = addChildren(nodes, nodes[id] as SearchNode, expansion, params);
      if (added.length === 0) {
        (nodes[id] as SearchNode).deadEnd = "no-new-steps";
        counters.add(COUNTER_KEYS.deadEndNoNewSteps);
      }
      children.push(...added.map((n) => n.id));
    }
    beams = rank(nodes, children, params.fallbackScore).slice(0, params.beamWidth);
  }

  // The plan: the best finished beam, else the best of the last beams (or of every node, when the
  // last depth added none).
  if (finished.length === 0) finished = beams.length > 0 ? beams : nodes.slice(1).map((n) => n.id);
  const best = rank(nodes, finished, params.fallbackScore)[0] ?? 0;
  const bestPath = pathTo(nodes, best);
  return begun.finish({
    strategy: "beam",
    nodes,
    bestPath,
    steps: stepsOf(nodes, bestPath),
    stopReason,
    iterations: depths,
    selections,
    reachedEnd: stopReason === "end",
    scores: bestPath.slice(1).map((id) => (nodes[id] as SearchNode).score.value),
    emptyMessage: `${problem.id}: beam search produced no plan step (${stopReason} after ${depths} depth${depths === 1 ? "" : "s"})`,
  });
};
