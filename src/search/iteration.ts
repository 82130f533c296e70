/**
 * One SRA-MCTS iteration after its selection, in two halves: `runIteration` asks the policy (reflect,
 * then expand and evaluate) and returns what it found without touching the tree; `applyIteration`
 * puts that into the tree (the reflection, a dead end or the children, then backpropagation). Kept
 * apart so several iterations can be in flight at once and be applied in a fixed order (mcts.ts).
 */
import type { SearchNode } from "../types.js";
import { backpropagate } from "./backpropagate.js";
import type { Counters } from "./counters.js";
import { COUNTER_KEYS } from "./counters.js";
import { addChildren, type Expansion, expandLeaf } from "./expand.js";
import type { SearchParams } from "./params.js";
import type { MctsPolicy, ReflectResult } from "./policy.js";

/** What one iteration found: `<end>`, a leaf too deep to expand, or an expansion (maybe empty). */
export type IterationResult =
  | { kind: "end"; reflected: ReflectResult }
  | { kind: "max-depth"; reflected: ReflectResult }
  | { kind: "expanded"; reflected: ReflectResult; expansion: Expansion };

export interface IterationInput {
  question: string;
  /** The selected leaf. */
  leaf: Pick<SearchNode, "id" | "depth">;
  /** The plan steps on its path. */
  steps: readonly string[];
  /**
   * The id its first child will get, when no other iteration is in flight (the tree's size);
   * null when others are and ids are only known once results are applied (expandLeaf).
   */
  firstChildId: number | null;
}

/**
 * Reflect on the leaf (eq. 5); unless that says `<end>` (below the root) or the leaf is at maxDepth,
 * expand and evaluate it (eq. 2-4).
 */
export async function runIteration(
  policy: MctsPolicy,
  input: IterationInput,
  options: { params: SearchParams; seed: (label: string) => number; signal: AbortSignal | undefined },
): Promise<IterationResult> {
  const { question, leaf, steps } = input;
  const { params, seed, signal } = options;
  const reflected = await policy.reflect({ question, steps, seed: seed(`reflect:${leaf.id}`) }, signal);
  if (reflected.end && leaf.depth > 0) return { kind: "end", reflected };
  if (leaf.depth >= params.maxDepth) return { kind: "max-depth", reflected };
  const expansion = await expandLeaf(
    policy,
    {
      question,
      steps,
      leafId: leaf.id,
      // At the root <end> is ignored and the proposer gets no hint.
      reflection: reflected.end ? "" : reflected.thought,
      firstChildId: input.firstChildId,
    },
    { params, seed, ...(signal ? { signal } : {}) },
  );
  return { kind: "expanded", reflected, expansion };
}

/**
 * Apply an iteration's result to its leaf. Returns "end" when the reflection said `<end>`: the leaf
 * is terminal and the search is over. A leaf at maxDepth, or whose expansion produced no child, is
 * closed as a dead end (no reward to pass up); otherwise the children are added and backpropagated.
 */
export function applyIteration(
  nodes: SearchNode[],
  leafId: number,
  result: IterationResult,
  options: { params: SearchParams; counters: Counters },
): "end" | "continue" {
  const { params, counters } = options;
  const leaf = nodes[leafId] as SearchNode;
  for (const key of result.reflected.events) counters.add(key);
  applyReflection(leaf, result.reflected, counters);
  if (result.kind === "end") return "end";
  if (result.kind === "max-depth") {
    leaf.deadEnd = "max-depth";
    counters.add(COUNTER_KEYS.deadEndMaxDepth);
    return "continue";
  }
  for (const key of result.expansion.events) counters.add(key);
  if (addChildren(nodes, leaf, result.expansion, params).length === 0) {
    leaf.deadEnd = "no-new-steps";
    counters.add(COUNTER_KEYS.deadEndNoNewSteps);
    return "continue";
  }
  backpropagate({ nodes }, leaf.id, params.alpha);
  return "continue";
}

/**
 * Record a reflection on the leaf it was made for. `<end>` below the root makes the leaf terminal;
 * at the root it is ignored (a plan needs a step) and the proposer gets no hint.
 */
function applyReflection(leaf: SearchNode, reflected: ReflectResult, counters: Counters): void {
  leaf.reflectionRaw = reflected.raw;
  if (reflected.end && leaf.depth > 0) {
    leaf.reflection = "<end>";
    leaf.terminal = true;
    counters.add(COUNTER_KEYS.reflectEnd);
    return;
  }
  if (reflected.end) counters.add(COUNTER_KEYS.reflectEndAtRoot);
  leaf.reflection = reflected.end ? "" : reflected.thought;
}
