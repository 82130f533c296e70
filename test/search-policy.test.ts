/**
 * The search on a plain scripted policy: no Llm, no prompts, no parsing. The policy is an object whose
 * role methods answer from the state they are given, so these tests pin what the search algorithms
 * themselves do (and that they need nothing but the policy interface).
 */
import { describe, expect, it } from "vitest";
import { emptyUsage } from "../src/roles/counting-llm.js";
import { runCot } from "../src/search/cot.js";
import { COUNTER_KEYS } from "../src/search/counters.js";
import { addChildren, expandLeaf } from "../src/search/expand.js";
import { runMcts } from "../src/search/mcts.js";
import { DEFAULT_SEARCH_PARAMS, type SearchParams } from "../src/search/params.js";
import type {
  CotPolicy,
  EvaluateResult,
  MctsPolicy,
  ProposeResult,
  ReflectResult,
} from "../src/search/policy.js";
import { EmptyPlanError, planRecords } from "../src/search/strategy.js";
import { createRoot } from "../src/search/tree.js";
import type { SearchNode } from "../src/types.js";
import { createRng } from "../src/util/rng.js";

const PROBLEM = { id: "p1", question: "Return the two indices that add up to target." };
const A = "Sort the array.";
const B = "Use a hash map.";
const C = "Scan with two pointers.";
const D = "Binary search each complement.";

type Call = { role: string; steps: readonly string[]; seed: number; extra?: string };

/**
 * A policy from three tables: the next step for (steps so far | siblings), the score of a step, and
 * the path after which the reflection says <end>. Every call is recorded.
 */
function scriptedPolicy(
  proposals: Record<string, string>,
  scores: Record<string, number>,
  endAfter: string[],
): MctsPolicy & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async reflect({ steps, seed }): Promise<ReflectResult> {
      calls.push({ role: "reflect", steps, seed });
      const end = steps.join(" ") === endAfter.join(" ");
      return { end, thought: end ? "" : "go on", raw: end ? "<end>" : "go on", events: [] };
    },
    async propose({ steps, siblings, seed }): Promise<ProposeResult> {
      calls.push({ role: "propose", steps, seed, extra: siblings.join(" ") });
      const step = proposals[`${steps.join(" ")}|${siblings.join(" ")}`] ?? "";
      return { step, raw: `raw ${step}`, events: [] };
    },
    async evaluate({ steps, step, seed }): Promise<EvaluateResult> {
      calls.push({ role: "evaluate", steps, seed: seed(0), extra: step });
      const value = scores[step] ?? null;
      return {
        score: { raw: `Score: ${value}`, value, parsedAs: "labelled", attempts: 1 },
        events: ["score.labelled"],
      };
    },
  };
}

const PROPOSALS = { "|": A, [`|${A}`]: B, [`${A}|`]: C, [`${A}|${C}`]: D };

function ctx<P>(policy: P, params: Partial<SearchParams>) {
  return {
    policy,
    rng: createRng(1).fork(PROBLEM.id),
    params: { ...DEFAULT_SEARCH_PARAMS, ...params },
    now: () => 0,
  };
}

const values = (nodes: SearchNode[]) => nodes.map((n) => [n.step, n.visits, Number(n.value.toFixed(6))]);

describe("runMcts on a scripted policy (no Llm)", () => {
  it("builds the hand-worked tree of paper eq. 1, 4 and 6 (raw 0-10 rewards, the default; branches 2)", async () => {
    const policy = scriptedPolicy(PROPOSALS, { [A]: 8, [B]: 6, [C]: 7, [D]: 9 }, [A, D]);
    const out = await runMcts(PROBLEM, ctx(policy, { branches: 2, iterations: 10 }));
    // Iteration 1 expands the root: A 8, B 6 (one visit each); the root's first value is (8 + 6) / 2 = 7.
    // Iteration 2: at N = 1 UCB1 is r: A (8 > 6), a leaf; it gets C 7 and D 9.
    //   Backpropagation: A visits 2, r_A = 0.7 * 8 + 0.3 * (7 + 9) / 2 = 8;
    //   root visits 2, r = 0.7 * 7 + 0.3 * (2 * 8 + 1 * 6) / 3 = 4.9 + 2.2 = 7.1.
    // Iteration 3: A 8 + 0.5 * sqrt(2 ln 2 / 2) = 8.416 beats B 6 + 0.5 * sqrt(2 ln 2) = 6.589; under A,
    //   D 9.589 beats C 7.589; the reflection on [A, D] says <end>.
    expect(out.selections).toEqual([0, 1, 4]);
    expect(values(out.nodes)).toEqual([
      ["", 2, 7.1],
      [A, 2, 8],
      [B, 1, 6],
      [C, 1, 7],
      [D, 1, 9],
    ]);
    expect(out).toMatchObject({ strategy: "mcts", steps: [A, D], stopReason: "end", reachedEnd: true });
    expect(out.scores).toEqual([8, 9]);
    expect(out.counters).toEqual({ [COUNTER_KEYS.reflectEnd]: 1, "score.labelled": 4 });
    expect(policy.calls.map((c) => c.role).join(" ")).toBe(
      "reflect propose evaluate propose evaluate reflect propose evaluate propose evaluate reflect",
    );
  });

  it("with unit rewards the same tree has every value divided by 10; the same seed gives the same calls", async () => {
    const run = async (params: Partial<SearchParams>) => {
      const policy = scriptedPolicy(PROPOSALS, { [A]: 8, [B]: 6, [C]: 7, [D]: 9 }, [A, D]);
      const out = await runMcts(PROBLEM, ctx(policy, { branches: 2, iterations: 10, ...params }));
      return { out, seeds: policy.calls.map((c) => c.seed) };
    };
    const raw = await run({});
    const unit = await run({ rewardScale: "unit" });
    expect(unit.out.selections).toEqual(raw.out.selections);
    expect(unit.out.nodes.map((n) => Number((n.value * 10).toFixed(6)))).toEqual(
      raw.out.nodes.map((n) => Number(n.value.toFixed(6))),
    );
    expect(unit.seeds).toEqual(raw.seeds);
    expect((await run({})).seeds).toEqual(raw.seeds);
  });

  it("an expansion is a value: expandLeaf leaves the tree alone, addChildren applies it", async () => {
    const policy = scriptedPolicy(PROPOSALS, { [A]: 8, [B]: 6 }, []);
    const nodes = [createRoot()];
    const expansion = await expandLeaf(
      policy,
      { question: PROBLEM.question, steps: [], leafId: 0, reflection: "", firstChildId: 1 },
      { params: { branches: 2, maxRegenerations: 0 }, seed: () => 7 },
    );
    expect(nodes).toHaveLength(1);
    expect(expansion.children.map((c) => [c.step, c.score.value])).toEqual([
      [A, 8],
      [B, 6],
    ]);
    const added = addChildren(nodes, nodes[0] as SearchNode, expansion, {
      rewardScale: "unit",
      fallbackScore: 5,
    });
    expect(added.map((n) => [n.id, n.parentId, n.visits, n.value, n.proposalRaw])).toEqual([
      [1, 0, 1, 0.8, `raw ${A}`],
      [2, 0, 1, 0.6, `raw ${B}`],
    ]);
  });

  it("with no step at all, the outcome is empty and planRecords throws EmptyPlanError with the tree", async () => {
    const policy = scriptedPolicy({}, {}, []);
    const out = await runMcts(PROBLEM, ctx(policy, { branches: 1, maxRegenerations: 1 }));
    expect(out.steps).toEqual([]);
    expect(out.stopReason).toBe("exhausted");
    expect(out.counters).toMatchObject({ "step.empty": 2, "step.emptyGaveUp": 1, "deadEnd.noNewSteps": 1 });
    const err = (() => {
      try {
        planRecords(PROBLEM, out, emptyUsage());
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EmptyPlanError);
    expect((err as EmptyPlanError).tree.nodes).toHaveLength(1);
  });
});

describe("runCot on a scripted policy (no Llm)", () => {
  it("asks again when a draft has no steps, then chains the steps under the root", async () => {
    const drafts = [
      { steps: [], numbered: false, strippedCode: false, complete: true, raw: "hmm", events: [] },
      { steps: [A, C], numbered: true, strippedCode: false, complete: true, raw: "1. 2.", events: [] },
    ];
    const policy: CotPolicy = { draft: async () => drafts.shift() as (typeof drafts)[number] };
    const out = await runCot(PROBLEM, ctx(policy, {}));
    expect(out).toMatchObject({ steps: [A, C], iterations: 2, stopReason: "single-pass", reachedEnd: true });
    expect(out.counters).toEqual({ "cot.retry": 1 });
    expect(out.nodes.map((n) => [n.parentId, n.step, n.proposalRaw, n.terminal])).toEqual([
      [null, "", null, false],
      [0, A, "1. 2.", false],
      [1, C, "", true],
    ]);
  });
});
