/**
 * Backpropagation (paper eq. 6a, 6b), from the expanded leaf up to the root. At each node on the path:
 *
 *   visits += 1
 *   r_increment = Σ_children (visits_c · r_c) / Σ_children visits_c          (6a)
 *   r_node      = α · r_node + (1 − α) · r_increment                          (6b)
 *
 * Children are updated before their parent, so a parent's increment already sees its child's new
 * value and visits. A node without children (not expected on a backpropagated path) keeps its value.
 *
 * The root has no score of its own: on its first update it takes r_increment as is (instead of
 * blending with an arbitrary 0). The root's value never enters UCB1 (it is nobody's child), so this
 * only makes the recorded value readable: the visit-weighted quality of the whole tree.
 */
import type { SearchNode } from "../types.js";

export function backpropagate(tree: { nodes: SearchNode[] }, leafId: number, alpha: number): void {
  let node: SearchNode | undefined = tree.nodes[leafId];
  if (!node) throw new RangeError(`backpropagate: no node ${leafId}`);
  while (node) {
    const firstRootUpdate = node.parentId === null && node.visits === 0;
    node.visits += 1;
    let weighted = 0;
    let visits = 0;
    for (const id of node.children) {
      const child = tree.nodes[id] as SearchNode;
      weighted += child.visits * child.value;
      visits += child.visits;
    }
    if (visits > 0) {
      const increment = weighted / visits;
      node.value = firstRootUpdate ? increment : alpha * node.value + (1 - alpha) * increment;
    }
    node = node.parentId === null ? undefined : tree.nodes[node.parentId];
  }
}
