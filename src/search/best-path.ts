/**
 * Which path becomes the plan.
 *
 * - When a reflection said <end>, the path to that terminal node (the search stops at the first one).
 * - Otherwise (iterations, time or exhausted), descend from the root to a leaf, taking at each node
 *   the child with the most visits, then the highest value, then the lowest id. Most-visited is
 *   MCTS's usual "robust child": it is where the search kept coming back, so it is both well scored
 *   and the most developed (deepest) line; among fresh siblings (one visit each) it is the best
 *   scored. The result ends at a leaf, so the plan carries every step the search wrote on that line.
 */
import type { SearchNode } from "../types.js";
import { pathTo } from "./tree.js";

export function bestPath(nodes: readonly SearchNode[]): number[] {
  const terminal = nodes.find((n) => n.terminal);
  if (terminal) return pathTo(nodes, terminal.id);
  let node = nodes[0] as SearchNode;
  const path = [node.id];
  while (node.children.length > 0) {
    let best: SearchNode | undefined;
    for (const id of node.children) {
      const child = nodes[id] as SearchNode;
      if (!best || child.visits > best.visits || (child.visits === best.visits && child.value > best.value)) {
        best = child;
      }
    }
    node = best as SearchNode;
    path.push(node.id);
  }
  return path;
}
