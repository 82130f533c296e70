/** The search tree as a flat array of SearchNode, indexed by id (ids are assigned in creation order). */
import type { SearchNode } from "../types.js";

export function createRoot(): SearchNode {
  return {
    id: 0,
    parentId: null,
    depth: 0,
    step: "",
    reflection: null,
    reflectionRaw: null,
    proposalRaw: null,
    score: { raw: null, value: null, parsedAs: null, attempts: 0 },
    visits: 0,
    value: 0,
    terminal: false,
    regenerated: 0,
    children: [],
  };
}

/** Add a child with `step` under `parent`: one visit, value set when its score arrives. */
export function addChild(
  nodes: SearchNode[],
  parent: SearchNode,
  step: string,
  proposalRaw: string,
): SearchNode {
  const node: SearchNode = {
    id: nodes.length,
    parentId: parent.id,
    depth: parent.depth + 1,
    step,
    reflection: null,
    reflectionRaw: null,
    proposalRaw,
    score: { raw: null, value: null, parsedAs: null, attempts: 0 },
    visits: 1,
    value: 0,
    terminal: false,
    regenerated: 0,
    children: [],
  };
  nodes.push(node);
  parent.children.push(node.id);
  return node;
}

/** Node ids from the root to `id`. */
export function pathTo(nodes: readonly SearchNode[], id: number): number[] {
  const path: number[] = [];
  let node = nodes[id];
  while (node) {
    path.push(node.id);
    node = node.parentId === null ? undefined : nodes[node.parentId];
  }
  return path.reverse();
}

/** The plan steps along a path (the root contributes none). */
export function stepsOf(nodes: readonly SearchNode[], path: readonly number[]): string[] {
  return path.slice(1).map((id) => (nodes[id] as SearchNode).step);
}

/**
 * Whether a node can lead to an expansion: a leaf that is neither terminal nor a dead end (nor one
 * `busy` says is taken, e.g. by an iteration in flight), or an inner node with at least one open child.
 */
export function isOpen(
  nodes: readonly SearchNode[],
  node: SearchNode,
  busy?: (leaf: SearchNode) => boolean,
): boolean {
  if (node.terminal || node.deadEnd !== undefined) return false;
  if (node.children.length === 0) return busy === undefined || !busy(node);
  return node.children.some((id) => isOpen(nodes, nodes[id] as SearchNode, busy));
}
