/**
 * Virtual loss (Chaslot, Winands and van den Herik, 2008, "Parallel Monte-Carlo Tree Search"): while
 * an iteration is in flight, every node on its path counts `loss` extra visits that each brought a
 * reward of 0, the worst score on both reward scales ("raw" 0-10 and "unit" 0-1). The next selection
 * then sees those nodes as visited more and worth less, and goes elsewhere; the loss is removed when
 * the iteration's result is applied (backpropagation). A leaf that is in flight is never selected
 * again: it is being reflected on and expanded, and a second expansion would only duplicate the first.
 *
 * For a child with n visits, reward r and p iterations in flight through it, under a parent with N
 * visits and P in flight through it (loss L):
 *
 *   n' = n + L·p        r' = n·r / n'   (r itself when p = 0)        N' = N + L·P
 *   UCB1' = r' + c·sqrt(2 ln N' / n')
 *
 * With nothing in flight UCB1' is UCB1 exactly (the same floating-point value), so a search with one
 * iteration at a time selects exactly what it did before virtual loss existed.
 */
import type { SearchNode } from "../types.js";
import { ucb1 } from "./ucb1.js";

/** The iterations in flight, as a count per node of the paths they hold. */
export class PendingPaths {
  private readonly counts = new Map<number, number>();

  /** Visits one pending iteration adds to each node of its path. */
  constructor(readonly loss: number) {}

  add(path: readonly number[]): void {
    for (const id of path) this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }

  remove(path: readonly number[]): void {
    for (const id of path) {
      const n = (this.counts.get(id) ?? 0) - 1;
      if (n < 0) throw new RangeError(`PendingPaths.remove: node ${id} is not pending`);
      if (n === 0) this.counts.delete(id);
      else this.counts.set(id, n);
    }
  }

  /** Iterations in flight through node `id`. */
  count(id: number): number {
    return this.counts.get(id) ?? 0;
  }

  /** A leaf that an iteration in flight is working on (it must not be selected twice). */
  isBusyLeaf(node: SearchNode): boolean {
    return node.children.length === 0 && this.count(node.id) > 0;
  }
}

/** UCB1 of `child` under `parent` with the virtual loss of the iterations in flight (formula above). */
export function ucb1WithVirtualLoss(
  child: SearchNode,
  parent: SearchNode,
  c: number,
  pending: PendingPaths | undefined,
): number {
  const p = pending?.count(child.id) ?? 0;
  const parentPending = pending?.count(parent.id) ?? 0;
  if (!pending || (p === 0 && parentPending === 0)) return ucb1(child.value, child.visits, parent.visits, c);
  const visits = child.visits + pending.loss * p;
  const value = p === 0 || pending.loss === 0 ? child.value : (child.visits * child.value) / visits;
  return ucb1(value, visits, parent.visits + pending.loss * parentPending, c);
}
