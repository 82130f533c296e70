/**
 * The formulas of paper section 3.1, checked against numbers worked out by hand:
 * UCB1 (eq. 1), backpropagation (eq. 6a/6b), selection with seeded tie-breaks, and the final path.
 */
import { describe, expect, it } from "vitest";
import { backpropagate } from "../src/search/backpropagate.js";
import { bestPath } from "../src/search/best-path.js";
import { selectPath } from "../src/search/select.js";
import { addChild, createRoot } from "../src/search/tree.js";
import { ucb1 } from "../src/search/ucb1.js";
import { PendingPaths, ucb1WithVirtualLoss } from "../src/search/virtual-loss.js";
import type { SearchNode } from "../src/types.js";
import { createRng } from "../src/util/rng.js";

describe("ucb1 (eq. 1): r_i + c * sqrt(2 ln N / n_i)", () => {
  it.each([
    // r, n_i, N, c, expected
    // ln 1 = 0: no exploration bonus, UCB1 = r = 0.8
    [0.8, 1, 1, 0.5, 0.8],
    // 0.6 + 0.5 * sqrt(2 * 0.693147 / 1) = 0.6 + 0.5 * 1.177410 = 1.188705
    [0.6, 1, 2, 0.5, 1.188705],
    // 0.8 + 0.5 * sqrt(2 * 0.693147 / 2) = 0.8 + 0.5 * 0.832555 = 1.216277
    [0.8, 2, 2, 0.5, 1.216277],
    // raw scale: 7 + 0.5 * sqrt(2 * 2.302585 / 3) = 7 + 0.5 * 1.238974 = 7.619487
    [7, 3, 10, 0.5, 7.619487],
    // c = 1: 0.3 + sqrt(2 * 1.386294 / 1) = 0.3 + 1.665109 = 1.965109
    [0.3, 1, 4, 1, 1.965109],
    // 0.62 + 0.5 * sqrt(2 * 2.197225 / 4) = 0.62 + 0.5 * 1.048147 = 1.144074
    [0.62, 4, 9, 0.5, 1.144074],
    // c = 0: pure exploitation
    [0.5, 4, 16, 0, 0.5],
    // parent never visited: ln 0 is taken as 0 (no NaN)
    [0.9, 5, 0, 0.5, 0.9],
  ])("ucb1(r=%f, n=%i, N=%i, c=%f) = %f", (r, n, N, c, expected) => {
    expect(ucb1(r, n, N, c)).toBeCloseTo(expected, 6);
  });

  it("puts an unvisited child first (+Infinity)", () => {
    expect(ucb1(0, 0, 10, 0.5)).toBe(Number.POSITIVE_INFINITY);
    expect(ucb1(0, 0, 10, 0.5)).toBeGreaterThan(ucb1(10, 1, 10, 0.5));
  });
});

/** Build a tree from a compact spec: [parentId, value, visits] per node after the root. */
function tree(root: { value: number; visits: number }, spec: [number, number, number][]): SearchNode[] {
  const nodes = [createRoot()];
  const r = nodes[0] as SearchNode;
  r.value = root.value;
  r.visits = root.visits;
  for (const [parentId, value, visits] of spec) {
    const child = addChild(nodes, nodes[parentId] as SearchNode, `step ${nodes.length}`, "");
    child.value = value;
    child.visits = visits;
  }
  return nodes;
}

describe("backpropagate (eq. 6a/6b), alpha = 0.7", () => {
  it("gives the root, on its first update, the visit-weighted mean of its children", () => {
    // root(v0) -> A(0.8, v1), B(0.6, v1); leaf = root (first iteration).
    // root: visits 0 -> 1; r_increment = (1*0.8 + 1*0.6) / 2 = 0.7; first root update: r = 0.7
    const nodes = tree({ value: 0, visits: 0 }, [
      [0, 0.8, 1],
      [0, 0.6, 1],
    ]);
    backpropagate({ nodes }, 0, 0.7);
    expect(nodes[0]?.visits).toBe(1);
    expect(nodes[0]?.value).toBeCloseTo(0.7, 10);
    expect(nodes.slice(1).map((n) => [n.value, n.visits])).toEqual([
      [0.8, 1],
      [0.6, 1],
    ]);
  });

  it.each([
    {
      name: "good children keep A at 0.8",
      // A (id 1) expanded into C = 0.7, D = 0.9.
      // A: visits 1 -> 2; inc = (0.7 + 0.9) / 2 = 0.8; r_A = 0.7*0.8 + 0.3*0.8 = 0.8
      // root: visits 1 -> 2; inc = (2*0.8 + 1*0.6) / 3 = 2.2/3 = 0.733333
      //       r_root = 0.7*0.7 + 0.3*0.733333 = 0.49 + 0.22 = 0.71
      children: [0.7, 0.9],
      a: 0.8,
      root: 0.71,
    },
    {
      name: "poor children pull A down to 0.68",
      // inc = (0.5 + 0.3) / 2 = 0.4; r_A = 0.7*0.8 + 0.3*0.4 = 0.56 + 0.12 = 0.68
      // root: inc = (2*0.68 + 1*0.6) / 3 = 1.96/3 = 0.653333; r_root = 0.49 + 0.196 = 0.686
      children: [0.5, 0.3],
      a: 0.68,
      root: 0.686,
    },
  ])("updates the path from the leaf to the root: $name", ({ children, a, root }) => {
    const nodes = tree({ value: 0.7, visits: 1 }, [
      [0, 0.8, 1], // A
      [0, 0.6, 1], // B
      [1, children[0] as number, 1],
      [1, children[1] as number, 1],
    ]);
    backpropagate({ nodes }, 1, 0.7);
    expect(nodes[1]?.visits).toBe(2);
    expect(nodes[1]?.value).toBeCloseTo(a, 10);
    expect(nodes[0]?.visits).toBe(2);
    expect(nodes[0]?.value).toBeCloseTo(root, 10);
    // Off the path nothing moves.
    expect([nodes[2]?.value, nodes[2]?.visits]).toEqual([0.6, 1]);
  });

  it("weights children by visits, three levels deep, on the raw 0-10 scale", () => {
    // root(r=6, v3) -> A(r=7, v2) -> C(r=8, v1) -> E(9, v1), F(3, v1)      C is the expanded leaf
    //               |             -> D(r=4, v1)
    //               -> B(r=5, v1)
    // C: visits 2; inc = (9 + 3)/2 = 6;              r_C = 0.7*8 + 0.3*6 = 5.6 + 1.8 = 7.4
    // A: visits 3; inc = (2*7.4 + 1*4)/3 = 18.8/3 = 6.266667; r_A = 4.9 + 1.88 = 6.78
    // root: visits 4; inc = (3*6.78 + 1*5)/4 = 25.34/4 = 6.335; r_root = 4.2 + 1.9005 = 6.1005
    const nodes = tree({ value: 6, visits: 3 }, [
      [0, 7, 2], // 1 A
      [0, 5, 1], // 2 B
      [1, 8, 1], // 3 C
      [1, 4, 1], // 4 D
      [3, 9, 1], // 5 E
      [3, 3, 1], // 6 F
    ]);
    backpropagate({ nodes }, 3, 0.7);
    expect(nodes.map((n) => n.visits)).toEqual([4, 3, 1, 2, 1, 1, 1]);
    expect(nodes[3]?.value).toBeCloseTo(7.4, 10);
    expect(nodes[1]?.value).toBeCloseTo(6.78, 10);
    expect(nodes[0]?.value).toBeCloseTo(6.1005, 10);
  });

  it.each([
    // alpha = 0: the parent takes the increment: r_A = (0.2 + 0.4)/2 = 0.3
    [0, 0.3],
    // alpha = 1: the parent keeps its own reward
    [1, 0.9],
    // alpha = 0.5: (0.9 + 0.3)/2 = 0.6
    [0.5, 0.6],
  ])("alpha = %f gives r_A = %f", (alpha, expected) => {
    const nodes = tree({ value: 0.5, visits: 1 }, [
      [0, 0.9, 1],
      [1, 0.2, 1],
      [1, 0.4, 1],
    ]);
    backpropagate({ nodes }, 1, alpha);
    expect(nodes[1]?.value).toBeCloseTo(expected, 10);
  });
});

describe("selectPath", () => {
  it("selects the root while it is the only leaf", () => {
    expect(selectPath([createRoot()], createRng(1), 0.5)).toEqual([0]);
  });

  it("descends by UCB1 to a leaf", () => {
    // root N=2: A(0.8, n=2) -> 0.8 + 0.416277 = 1.216277; B(0.6, n=1) -> 0.6 + 0.588705 = 1.188705: A
    // A N=2: C(0.7, n=1) -> 1.288705; D(0.9, n=1) -> 1.488705: D
    const nodes = tree({ value: 0.71, visits: 2 }, [
      [0, 0.8, 2],
      [0, 0.6, 1],
      [1, 0.7, 1],
      [1, 0.9, 1],
    ]);
    expect(selectPath(nodes, createRng(1), 0.5)).toEqual([0, 1, 4]);
  });

  it("explores a less-rewarded sibling when its bonus outweighs the gap", () => {
    // A = 0.68: 0.68 + 0.416277 = 1.096277 < B: 0.6 + 0.588705 = 1.188705, so B (a leaf)
    const nodes = tree({ value: 0.686, visits: 2 }, [
      [0, 0.68, 2],
      [0, 0.6, 1],
      [1, 0.5, 1],
      [1, 0.3, 1],
    ]);
    expect(selectPath(nodes, createRng(1), 0.5)).toEqual([0, 2]);
    // With c = 0 the search is greedy: A, then its best child C (0.5)
    expect(selectPath(nodes, createRng(1), 0)).toEqual([0, 1, 3]);
  });

  it("tries an unvisited child before any visited one", () => {
    const nodes = tree({ value: 0.5, visits: 3 }, [
      [0, 0.99, 3],
      [0, 0, 0],
    ]);
    expect(selectPath(nodes, createRng(1), 0.5)).toEqual([0, 2]);
  });

  it("breaks ties with the seeded Rng: same seed, same pick; other seeds pick others", () => {
    const nodes = tree({ value: 0.5, visits: 1 }, [
      [0, 0.5, 1],
      [0, 0.5, 1],
      [0, 0.5, 1],
    ]);
    const pick = (seed: number) => selectPath(nodes, createRng(seed), 0.5)?.[1];
    expect(pick(7)).toBe(pick(7));
    const picks = new Set(Array.from({ length: 40 }, (_, s) => pick(s)));
    expect(picks).toEqual(new Set([1, 2, 3]));
  });

  it("draws from the Rng only on a tie", () => {
    const nodes = tree({ value: 0.5, visits: 1 }, [
      [0, 0.9, 1],
      [0, 0.5, 1],
    ]);
    const rng = createRng(3);
    const before = createRng(3).next();
    selectPath(nodes, rng, 0.5);
    expect(rng.next()).toBe(before);
  });

  it("skips closed subtrees and returns null when nothing is open", () => {
    const nodes = tree({ value: 0.5, visits: 2 }, [
      [0, 0.9, 2],
      [0, 0.1, 1],
      [1, 0.9, 1],
    ]);
    // A's only leaf is a dead end, so A's subtree is closed even though A scores best.
    (nodes[3] as SearchNode).deadEnd = "max-depth";
    expect(selectPath(nodes, createRng(1), 0.5)).toEqual([0, 2]);
    (nodes[2] as SearchNode).deadEnd = "no-new-steps";
    expect(selectPath(nodes, createRng(1), 0.5)).toBeNull();
  });
});

describe("virtual loss (--parallel-iterations): a path in flight counts L extra visits of reward 0", () => {
  // Raw 0-10 rewards, c = 0.5. root N=4: A (8, n=3) with children A1 (7, n=1), A2 (9, n=1); B (7, n=1).
  const sample = () =>
    tree({ value: 7.6, visits: 4 }, [
      [0, 8, 3],
      [0, 7, 1],
      [1, 7, 1],
      [1, 9, 1],
    ]);
  const [ROOT, A, B, A1, A2] = [0, 1, 2, 3, 4];

  it("with nothing in flight is UCB1 itself, to the last bit", () => {
    const nodes = tree({ value: 0.3, visits: 3 }, [[0, 0.1 * 3, 3]]);
    const child = nodes[1] as SearchNode;
    const root = nodes[0] as SearchNode;
    const empty = new PendingPaths(1);
    expect(ucb1WithVirtualLoss(child, root, 0.5, empty)).toBe(
      ucb1(child.value, child.visits, root.visits, 0.5),
    );
    expect(ucb1WithVirtualLoss(child, root, 0.5, undefined)).toBe(
      ucb1(child.value, child.visits, root.visits, 0.5),
    );
  });

  it.each([
    // pending paths, loss, node -> UCB1 worked by hand
    // A in flight once: n' = 3 + 1 = 4, r' = 3 * 8 / 4 = 6, N' = 4 + 1 = 5: 6 + 0.5 * sqrt(2 ln 5 / 4) = 6.448530
    [[[ROOT, A, A2]], 1, A, 6.44853],
    // B is not in flight, but its parent is: N' = 5: 7 + 0.5 * sqrt(2 ln 5 / 1) = 7.897061
    [[[ROOT, A, A2]], 1, B, 7.897061],
    // loss 2: n' = 5, r' = 24 / 5 = 4.8, N' = 6: 4.8 + 0.5 * sqrt(2 ln 6 / 5) = 4.8 + 0.5 * 0.846584 = 5.223292
    [[[ROOT, A, A2]], 2, A, 5.223292],
    // two paths through A: n' = 5, r' = 4.8, N' = 4 + 2 = 6: the same as loss 2 once
    [
      [
        [ROOT, A, A2],
        [ROOT, A, A1],
      ],
      1,
      A,
      5.223292,
    ],
    // loss 0: only N' and n' stay, r' = r: UCB1 unchanged
    [[[ROOT, A, A2]], 0, A, 8.480676],
  ])("paths %j, loss %d: UCB1 of node %d is %d", (paths, loss, id, expected) => {
    const nodes = sample();
    const pending = new PendingPaths(loss);
    for (const p of paths) pending.add(p);
    const node = nodes[id] as SearchNode;
    const parent = nodes[node.parentId as number] as SearchNode;
    expect(ucb1WithVirtualLoss(node, parent, 0.5, pending)).toBeCloseTo(expected, 5);
  });

  it("spreads selections: the second goes to another subtree, the third takes what is left", () => {
    // Sequential: root N=4: A 8 + 0.5 * sqrt(2 ln 4 / 3) = 8.480676 > B 7 + 0.5 * sqrt(2 ln 4) = 7.832555;
    // under A (N=3): A2 9 + 0.5 * sqrt(2 ln 3) = 9.741152 > A1 7.741152: [root, A, A2].
    const nodes = sample();
    const pending = new PendingPaths(1);
    const first = selectPath(nodes, createRng(1), 0.5, pending);
    expect(first).toEqual([ROOT, A, A2]);
    pending.add(first as number[]);
    // With it in flight: A 6.448530 < B 7.897061 (values above): B, a leaf.
    const second = selectPath(nodes, createRng(1), 0.5, pending);
    expect(second).toEqual([ROOT, B]);
    pending.add(second as number[]);
    // B is held, so only A's subtree is left, and under it only A1 (A2 is held).
    expect(selectPath(nodes, createRng(1), 0.5, pending)).toEqual([ROOT, A, A1]);
    pending.add([ROOT, A, A1]);
    // Every leaf is held: nothing to select until a result is applied.
    expect(selectPath(nodes, createRng(1), 0.5, pending)).toBeNull();
    pending.remove([ROOT, B]);
    expect(selectPath(nodes, createRng(1), 0.5, pending)).toEqual([ROOT, B]);
  });

  it("without a loss (L = 0) the second selection only steps off the held leaf, staying in A", () => {
    const nodes = sample();
    const pending = new PendingPaths(0);
    pending.add([ROOT, A, A2]);
    expect(selectPath(nodes, createRng(1), 0.5, pending)).toEqual([ROOT, A, A1]);
  });

  it("refuses to remove a path that is not in flight", () => {
    const pending = new PendingPaths(1);
    pending.add([0, 1]);
    pending.remove([0, 1]);
    expect(pending.count(0)).toBe(0);
    expect(() => pending.remove([0])).toThrow(RangeError);
  });
});

describe("bestPath", () => {
  it("is the path to the terminal node when a reflection said <end>", () => {
    const nodes = tree({ value: 0.5, visits: 3 }, [
      [0, 0.9, 3],
      [0, 0.2, 1],
      [2, 0.1, 1],
    ]);
    (nodes[3] as SearchNode).terminal = true;
    expect(bestPath(nodes)).toEqual([0, 2, 3]);
  });

  it("otherwise follows the most visited child, then the highest value, down to a leaf", () => {
    const nodes = tree({ value: 0.5, visits: 3 }, [
      [0, 0.6, 3], // 1: most visited at depth 1, though not the best value
      [0, 0.9, 1], // 2
      [1, 0.4, 1], // 3
      [1, 0.7, 1], // 4: best of the fresh siblings
      [1, 0.7, 1], // 5: equal to 4: the lower id wins
    ]);
    expect(bestPath(nodes)).toEqual([0, 1, 4]);
  });
});
