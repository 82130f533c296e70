/**
 * Selection (paper 3.1.1): from the root, repeatedly take the child with the highest UCB1 until a
 * leaf. Ties (equal UCB1, e.g. two unvisited children or two equal fresh scores) are broken by the
 * seeded Rng, so the same seed picks the same child and another seed may not. The Rng is drawn from
 * only on a tie. Closed subtrees (terminal or dead-end leaves, or inner nodes whose leaves are all
 * closed) are skipped; when the root itself is closed there is nothing left to select (null).
 * The first iteration selects the root: it is the only leaf.
 *
 * With iterations in flight (`pending`, --parallel-iterations > 1), UCB1 carries their virtual loss
 * and the leaves they hold are skipped like closed ones (virtual-loss.ts); null then means nothing is
 * selectable until one of them is applied. Without `pending` (or with nothing in it) this is the
 * sequential selection, value for value.
 */
import type { SearchNode } from "../types.js";
import type { Rng } from "../util/rng.js";
import { isOpen } from "./tree.js";
import { type PendingPaths, ucb1WithVirtualLoss } from "./virtual-loss.js";

/** Relative tolerance for calling two UCB1 values equal (floating-point sums of equal terms). */
const TIE_EPSILON = 1e-12;

export function selectPath(
  nodes: readonly SearchNode[],
  rng: Rng,
  c: number,
  pending?: PendingPaths,
): number[] | null {
  const busy = pending && ((leaf: SearchNode) => pending.isBusyLeaf(leaf));
  const selectable = (n: SearchNode): boolean => isOpen(nodes, n, busy);
  let node = nodes[0];
  if (!node || !selectable(node)) return null;
  const path = [node.id];
  while (node.children.length > 0) {
    const parent: SearchNode = node;
    const open = parent.children.map((id) => nodes[id] as SearchNode).filter(selectable);
    const scored = open.map((child) => ({ child, u: ucb1WithVirtualLoss(child, parent, c, pending) }));
    const best = Math.max(...scored.map((s) => s.u));
    const tied = scored.filter(
      (s) =>
        s.u === best ||
        (Number.isFinite(best) && Math.abs(s.u - best) <= TIE_EPSILON * Math.max(1, Math.abs(best))),
    );
    const pick = tied.length === 1 ? (tied[0] as (typeof tied)[number]) : rng.pick(tied);
    node = pick.child;
    path.push(node.id);
  }
  return path;
}
