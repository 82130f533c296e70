/**
 * Whole searches on a scripted model (test/support/scripted-llm.ts). The model answers from the
 * rendered prompts (the shipped prompts/ files), so these tests also check what each role is shown.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ParseError } from "../src/errors.js";
import type { LlmPurpose } from "../src/llm/types.js";
import { generateCotPlan, type SearchContext, searchPlan } from "../src/roles/plan-with-llm.js";
import { loadPromptSet, type PromptSet } from "../src/roles/prompts.js";
import { DEFAULT_SEARCH_PARAMS, GUIDED_SCORE_REGEX, type SearchParams } from "../src/search/params.js";
import { EmptyPlanError } from "../src/search/strategy.js";
import { planRecordSchema, type SearchNode, treeRecordSchema } from "../src/types.js";
import { createRng } from "../src/util/rng.js";
import {
  promptSections,
  type ScriptedCall,
  type ScriptedReply,
  type ScriptHandler,
  scriptedLlm,
  stepsIn,
} from "./support/scripted-llm.js";

let prompts: PromptSet;
beforeAll(async () => {
  prompts = await loadPromptSet();
});

const PROBLEM = {
  id: "two-sum",
  question: "Given nums and target, return the indices of two numbers adding to target.",
};
const UNIT = { rewardScale: "unit" } as const;
const SIBLINGS = "Candidate next steps already proposed (yours must differ from all of them)";

/** What a call shows the model: the plan so far, the listed siblings, the newest step (evaluate). */
function seen(call: ScriptedCall): { steps: string[]; siblings: string[]; newest: string; hint: string } {
  const s = promptSections(call.user);
  return {
    steps: stepsIn(s["Plan so far"] ?? s["Steps before the newest step"]),
    siblings: (s[SIBLINGS] ?? "")
      .split("\n")
      .filter((l) => l.startsWith("- "))
      .map((l) => l.slice(2)),
    newest: (s["Newest step"] ?? "").replace(/^Step \d+: /, ""),
    hint: s["Hint for the next step"] ?? "",
  };
}

/** A handler per purpose; each may return undefined to fall through to `fallback`. */
function byPurpose(
  handlers: Partial<
    Record<LlmPurpose, (call: ScriptedCall) => ScriptedReply | Promise<ScriptedReply> | undefined>
  >,
): ScriptHandler {
  return (call) => {
    const reply = handlers[call.purpose]?.(call);
    if (reply === undefined)
      throw new Error(`unscripted ${call.purpose} call: ${JSON.stringify(seen(call))}`);
    return reply;
  };
}

function context(
  llm: SearchContext["llm"],
  params: Partial<SearchParams>,
  seed = 1,
  now = () => 0,
): SearchContext {
  return {
    llm,
    rng: createRng(seed).fork(PROBLEM.id),
    prompts,
    params: { ...DEFAULT_SEARCH_PARAMS, ...params },
    now,
  };
}

// Named steps of the hand-worked trees.
const A = "Sort the array.";
const B = "Use a hash map from value to index.";
const C = "Scan with two pointers.";
const D = "Binary search for each element.";
const E = "Store each complement in the map.";
const F = "Count the frequencies.";
const G = "Move the left pointer when the sum is too small.";
const H = "Move the right pointer when the sum is too large.";

/** propose: (steps so far | siblings) -> the next step. */
const PROPOSALS: Record<string, string> = {
  "|": A,
  [`|${A}`]: B,
  [`${A}|`]: C,
  [`${A}|${C}`]: D,
  [`${B}|`]: E,
  [`${B}|${E}`]: F,
  [`${A} ${C}|`]: G,
  [`${A} ${C}|${G}`]: H,
};

function handWorkedModel(scores: Record<string, number>, endAfter: string[]) {
  return scriptedLlm(
    byPurpose({
      reflect: (call) =>
        seen(call).steps.join(" ") === endAfter.join(" ") ? "<end>" : "Keep refining the approach.",
      propose: (call) => {
        const { steps, siblings } = seen(call);
        const step = PROPOSALS[`${steps.join(" ")}|${siblings.join(" ")}`];
        return step === undefined ? undefined : `Next step: ${step}`;
      },
      evaluate: (call) => {
        const score = scores[seen(call).newest];
        return score === undefined ? undefined : `The step is reasonable.\nScore: ${score}`;
      },
    }),
  );
}

const values = (nodes: SearchNode[]) => nodes.map((n) => [n.step, n.visits, Number(n.value.toFixed(6))]);

describe("searchPlan on a scripted model (hand-worked trees, branches 2, c 0.5, alpha 0.7, unit rewards)", () => {
  it("exploits the best child and stops at <end> (3 iterations)", async () => {
    const llm = handWorkedModel({ [A]: 8, [B]: 6, [C]: 7, [D]: 9 }, [A, D]);
    const { tree, plan } = await searchPlan(PROBLEM, context(llm, { ...UNIT, branches: 2, iterations: 10 }));
    // Iteration 1: select root (only leaf); reflect; expand A (8 -> 0.8), B (6 -> 0.6), one visit each.
    //   backprop: root visits 1; first update r = (0.8 + 0.6) / 2 = 0.7
    // Iteration 2: root N=1, ln 1 = 0: UCB1 = r: A 0.8 > B 0.6 -> A (a leaf). Expand C (0.7), D (0.9).
    //   backprop: A visits 2, inc = 0.8, r_A = 0.7*0.8 + 0.3*0.8 = 0.8
    //             root visits 2, inc = (2*0.8 + 1*0.6)/3 = 0.733333, r = 0.7*0.7 + 0.3*0.733333 = 0.71
    // Iteration 3: root N=2: A 0.8 + 0.5*sqrt(2 ln2/2) = 1.216277; B 0.6 + 0.5*sqrt(2 ln2/1) = 1.188705 -> A
    //   A N=2: C 0.7 + 0.588705 = 1.288705; D 0.9 + 0.588705 = 1.488705 -> D; reflection on [A, D]: <end>.
    expect(tree.selections).toEqual([0, 1, 4]);
    expect(values(tree.nodes)).toEqual([
      ["", 2, 0.71],
      [A, 2, 0.8],
      [B, 1, 0.6],
      [C, 1, 0.7],
      [D, 1, 0.9],
    ]);
    expect(tree.nodes.map((n) => n.children)).toEqual([[1, 2], [3, 4], [], [], []]);
    expect(tree.nodes.map((n) => n.reflection)).toEqual([
      "Keep refining the approach.",
      "Keep refining the approach.",
      null,
      null,
      "<end>",
    ]);
    expect(tree.nodes[4]?.terminal).toBe(true);
    expect(tree.nodes[1]).toMatchObject({
      parentId: 0,
      depth: 1,
      proposalRaw: `Next step: ${A}`,
      score: { raw: "The step is reasonable.\nScore: 8", value: 8, parsedAs: "labelled", attempts: 1 },
      regenerated: 0,
    });
    expect(tree).toMatchObject({ stopReason: "end", iterations: 3, bestPath: [0, 1, 4] });
    expect(plan).toMatchObject({
      steps: [A, D],
      scores: [8, 9],
      reachedEnd: true,
      stopReason: "end",
      strategy: "mcts",
    });
    expect(plan.usage.calls).toBe(11);
    expect(plan.usage.byRole).toEqual({ reflect: 3, propose: 4, evaluate: 4 });
    expect(plan.counters).toEqual({ "reflect.end": 1, "score.labelled": 4 });
    // The records pass their own schemas (what run/ writes to trees.jsonl and plans.jsonl).
    expect(() => treeRecordSchema.parse(tree)).not.toThrow();
    expect(() => planRecordSchema.parse(plan)).not.toThrow();
  });

  it("explores the other branch when the first one disappoints, then spends the budget (4 iterations)", async () => {
    const llm = handWorkedModel({ [A]: 8, [B]: 6, [C]: 5, [D]: 3, [E]: 9, [F]: 4, [G]: 7, [H]: 7 }, []);
    const { tree, plan } = await searchPlan(PROBLEM, context(llm, { ...UNIT, branches: 2, iterations: 4 }));
    // Iteration 1: as above: A 0.8, B 0.6, root 0.7.
    // Iteration 2: A expanded: C 0.5, D 0.3: inc = 0.4, r_A = 0.56 + 0.12 = 0.68
    //   root: inc = (2*0.68 + 0.6)/3 = 0.653333, r = 0.49 + 0.196 = 0.686
    // Iteration 3: root N=2: A 0.68 + 0.416277 = 1.096277 < B 0.6 + 0.588705 = 1.188705 -> B.
    //   B expanded: E 0.9, F 0.4: inc = 0.65, r_B = 0.7*0.6 + 0.3*0.65 = 0.615
    //   root visits 3: inc = (2*0.68 + 2*0.615)/4 = 0.6475, r = 0.7*0.686 + 0.3*0.6475 = 0.67445
    // Iteration 4: root N=3, bonus at n=2: 0.5*sqrt(2*1.098612/2) = 0.524074:
    //   A 0.68 + 0.524074 = 1.204074 > B 0.615 + 0.524074 = 1.139074 -> A
    //   A N=2: C 0.5 + 0.588705 = 1.088705 > D 0.3 + 0.588705 = 0.888705 -> C. Expand G 0.7, H 0.7:
    //   C visits 2: inc 0.7, r_C = 0.35 + 0.21 = 0.56
    //   A visits 3: inc = (2*0.56 + 1*0.3)/3 = 0.473333, r_A = 0.476 + 0.142 = 0.618
    //   root visits 4: inc = (3*0.618 + 2*0.615)/5 = 0.6168, r = 0.7*0.67445 + 0.3*0.6168 = 0.657155
    // Budget spent. Plan: most-visited child at each level: A (3) over B (2); C (2) over D (1);
    //   G and H tie on visits (1) and value (0.7): the lower id, G.
    expect(tree.selections).toEqual([0, 1, 2, 3]);
    expect(values(tree.nodes)).toEqual([
      ["", 4, 0.657155],
      [A, 3, 0.618],
      [B, 2, 0.615],
      [C, 2, 0.56],
      [D, 1, 0.3],
      [E, 1, 0.9],
      [F, 1, 0.4],
      [G, 1, 0.7],
      [H, 1, 0.7],
    ]);
    expect(tree).toMatchObject({ stopReason: "iterations", iterations: 4, bestPath: [0, 1, 3, 7] });
    expect(plan).toMatchObject({
      steps: [A, C, G],
      scores: [8, 5, 7],
      reachedEnd: false,
      stopReason: "iterations",
    });
  });

  it("keeps raw 0-10 rewards with rewardScale raw (almost greedy with c = 0.5)", async () => {
    const llm = handWorkedModel({ [A]: 8, [B]: 6, [C]: 5, [D]: 3, [G]: 7, [H]: 7 }, []);
    const { tree } = await searchPlan(
      PROBLEM,
      context(llm, { branches: 2, iterations: 3, rewardScale: "raw" }),
    );
    // Iteration 2 as before on the 0-10 scale: r_A = 0.7*8 + 0.3*4 = 6.8; root = 0.7*7 + 0.3*(2*6.8 + 6)/3 = 6.86
    // Iteration 3: A 6.8 + 0.416277 = 7.216277 > B 6 + 0.588705 = 6.588705 -> A again (unit scale chose B).
    expect(tree.selections).toEqual([0, 1, 3]);
    expect(tree.nodes[1]?.visits).toBe(3);
    expect(tree.nodes[2]?.value).toBe(6);
  });
});

/** A model whose every step is new and every score the same, so selection ties everywhere. */
function tieModel(endDepth = 99) {
  return scriptedLlm(
    byPurpose({
      reflect: (call) => (seen(call).steps.length >= endDepth ? "<end>" : "Continue."),
      propose: (call) => {
        const { steps, siblings } = seen(call);
        return `Option ${steps.length + 1}${"abcdefghij"[siblings.length]} after ${steps.join(", ") || "nothing"}`;
      },
      evaluate: () => "Score: 5",
    }),
  );
}

describe("determinism", () => {
  it("gives identical trees for the same seed and script", async () => {
    const run = async (seed: number) =>
      JSON.stringify(await searchPlan(PROBLEM, context(tieModel(), { iterations: 6 }, seed)));
    expect(await run(42)).toBe(await run(42));
  });

  it("breaks ties differently with different seeds", async () => {
    const selections = new Set<string>();
    for (let seed = 0; seed < 8; seed++) {
      const { tree } = await searchPlan(PROBLEM, context(tieModel(), { iterations: 4 }, seed));
      selections.add(JSON.stringify(tree.selections));
    }
    expect(selections.size).toBeGreaterThan(1);
  });

  it("sends each request a seed that depends on the search seed and the request, not on timing", async () => {
    const seedsOf = async (seed: number) => {
      const llm = tieModel();
      await searchPlan(PROBLEM, context(llm, { iterations: 3 }, seed));
      return llm.calls.map((c) => `${c.purpose}:${c.request.seed}`).sort();
    };
    const a = await seedsOf(5);
    expect(a).toEqual(await seedsOf(5));
    expect(new Set(a).size).toBe(a.length);
    expect(a).not.toEqual(await seedsOf(6));
  });
});

describe("expansion", () => {
  it("shows each sibling the steps already written, regenerates repeats, and drops what stays a repeat", async () => {
    let duplicateOnce = true;
    const llm = scriptedLlm(
      byPurpose({
        reflect: (call) => (seen(call).steps.length === 2 ? "<end>" : "Think about order."),
        propose: (call) => {
          const { steps, siblings } = seen(call);
          if (steps.length === 0) {
            if (siblings.length === 0) return "Step 1: Sort the array.";
            if (duplicateOnce) {
              duplicateOnce = false;
              return "**First**, sort the array!"; // the same idea after normaliseStep
            }
            return "Use a hash map.";
          }
          return "Sort the array."; // below the root: always this
        },
        evaluate: (call) => (seen(call).newest.startsWith("Sort") ? "Score: 9" : "Score: 4"),
      }),
    );
    const { tree, plan } = await searchPlan(
      PROBLEM,
      context(llm, { branches: 2, iterations: 6, maxRegenerations: 1 }),
    );
    const proposals = llm.callsFor("propose").map((c) => seen(c));
    // Root: slot 0; slot 1 repeats slot 0; slot 1 again, now also told to avoid the rejected repeat.
    expect(proposals.slice(0, 3).map((p) => p.siblings)).toEqual([
      [],
      ["Sort the array."],
      ["Sort the array.", "**First**, sort the array!"],
    ]);
    expect(tree.nodes.slice(1, 3).map((n) => [n.step, n.regenerated])).toEqual([
      ["Sort the array.", 0],
      ["Use a hash map.", 1],
    ]);
    // Iteration 2 selects "Sort the array." (0.9 > 0.4): every proposal repeats the parent, so both
    // slots are dropped after one regeneration each and the leaf is closed.
    expect(proposals.slice(3, 7).map((p) => [p.steps, p.siblings])).toEqual([
      [["Sort the array."], []],
      [["Sort the array."], ["Sort the array."]],
      [["Sort the array."], []],
      [["Sort the array."], ["Sort the array."]],
    ]);
    expect(tree.nodes[1]).toMatchObject({ deadEnd: "no-new-steps", children: [] });
    // Iteration 3 moves to the hash map line: "Sort the array." is new there (slot 0); slot 1 repeats
    // its sibling twice and is dropped. Iteration 4 reflects <end> on [hash map, sort].
    expect(tree.selections).toEqual([0, 1, 2, 3]);
    expect(plan).toMatchObject({ steps: ["Use a hash map.", "Sort the array."], stopReason: "end" });
    expect(plan.counters).toMatchObject({
      // root: 1 repeat, 1 regeneration; under Sort: 4 repeats, 2 regenerations, 2 dropped;
      // under the hash map: 2 repeats, 1 regeneration, 1 dropped
      "step.duplicate": 7,
      "step.regenerated": 4,
      "step.duplicateGaveUp": 3,
      "deadEnd.noNewSteps": 1,
    });
  });

  it("removes code from steps, counts it, and passes the reflection as the hint", async () => {
    const llm = scriptedLlm(
      byPurpose({
        reflect: (call) => (seen(call).steps.length > 0 ? "<end>" : "Thought: count characters first."),
        propose: (call) =>
          seen(call).siblings.length === 0
            ? "Count each character.\n```python\nfrom collections import Counter\nc = Counter(s)\n```"
            : "Step 1: Compare sorted copies.\nStep 2: Return the result.",
        evaluate: () => "Score: 7",
      }),
    );
    const { tree, plan } = await searchPlan(PROBLEM, context(llm, { branches: 2, iterations: 3 }));
    expect(seen(llm.callsFor("propose")[0] as ScriptedCall).hint).toBe("count characters first.");
    expect(tree.nodes.slice(1).map((n) => n.step)).toEqual([
      "Count each character.",
      "Compare sorted copies.",
    ]);
    expect(tree.nodes[1]?.proposalRaw).toContain("Counter(s)");
    expect(plan.counters).toMatchObject({ "step.codeStripped": 1, "step.extraStepsCut": 1 });
  });

  it("scores a child while the next sibling is being written, and backpropagates after all scores", async () => {
    let proposeSlot1Arrived: () => void = () => undefined;
    const slot1 = new Promise<void>((resolve) => {
      proposeSlot1Arrived = resolve;
    });
    const llm = scriptedLlm(
      byPurpose({
        reflect: (call) => (seen(call).steps.length > 0 ? "<end>" : "Go."),
        propose: (call) => {
          if (seen(call).siblings.length === 1) proposeSlot1Arrived();
          return seen(call).siblings.length === 0 ? "First idea." : "Second idea.";
        },
        evaluate: async (call) => {
          if (seen(call).newest === "First idea.") {
            // Resolves only if the second proposal is requested before this score is returned.
            const timeout = new Promise<never>((_, reject) =>
              setTimeout(() => reject(new Error("evaluation was awaited before the next proposal")), 2000),
            );
            await Promise.race([slot1, timeout]);
            return "Score: 3";
          }
          return "Score: 8";
        },
      }),
    );
    const { tree, plan } = await searchPlan(PROBLEM, context(llm, { ...UNIT, branches: 2, iterations: 3 }));
    expect(tree.nodes[0]?.value).toBeCloseTo((0.3 + 0.8) / 2, 10);
    // The second child, though written later, wins the next selection: its score arrived before backprop.
    expect(plan.steps).toEqual(["Second idea."]);
  });

  it("closes a leaf at maxDepth unless its reflection says <end>, then reports exhaustion", async () => {
    const { tree, plan } = await searchPlan(
      PROBLEM,
      context(tieModel(), { branches: 3, maxDepth: 1, iterations: 20 }),
    );
    // 1 expansion of the root, then each depth-1 leaf is selected once, reflected on, and closed.
    expect(tree.iterations).toBe(4);
    expect(tree.stopReason).toBe("exhausted");
    expect(tree.nodes.slice(1).map((n) => n.deadEnd)).toEqual(["max-depth", "max-depth", "max-depth"]);
    expect(plan).toMatchObject({ reachedEnd: false, stopReason: "exhausted" });
    expect(plan.steps).toHaveLength(1);

    const ending = await searchPlan(
      PROBLEM,
      context(tieModel(1), { branches: 3, maxDepth: 1, iterations: 20 }),
    );
    expect(ending.plan).toMatchObject({ stopReason: "end", reachedEnd: true });
    expect(ending.plan.steps).toHaveLength(1);
  });

  it("throws EmptyPlanError, with the tree, when no step can be produced", async () => {
    const llm = scriptedLlm(
      byPurpose({
        reflect: () => "Go.",
        propose: () => "```python\nprint(1)\n```",
        evaluate: () => "Score: 5",
      }),
    );
    const err = await searchPlan(PROBLEM, context(llm, { branches: 2, maxRegenerations: 1 })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EmptyPlanError);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as EmptyPlanError).kind).toBe("no-plan");
    expect((err as EmptyPlanError).tree).toMatchObject({ stopReason: "exhausted", iterations: 1 });
    expect((err as EmptyPlanError).tree.counters).toMatchObject({ "step.emptyGaveUp": 2, "step.empty": 4 });
    expect((err as EmptyPlanError).usage.byRole).toEqual({ reflect: 1, propose: 4 });
  });
});

describe("reflection and termination", () => {
  it("ignores <end> at the root (a plan needs a step) and sends no hint", async () => {
    const llm = scriptedLlm(
      byPurpose({
        reflect: () => "<end>",
        propose: (call) => `Idea ${seen(call).siblings.length}.`,
        evaluate: () => "Score: 6",
      }),
    );
    const { tree, plan } = await searchPlan(PROBLEM, context(llm, { branches: 2, iterations: 5 }));
    expect(seen(llm.callsFor("propose")[0] as ScriptedCall).hint).toBe("(no hint)");
    expect(tree.nodes[0]).toMatchObject({ reflection: "", reflectionRaw: "<end>", terminal: false });
    expect(plan).toMatchObject({ stopReason: "end", reachedEnd: true, steps: ["Idea 0."] });
    expect(plan.counters).toMatchObject({ "reflect.endAtRoot": 1, "reflect.end": 1 });
  });

  it("accepts a messy <end>", async () => {
    const llm = scriptedLlm(
      byPurpose({
        reflect: (call) =>
          seen(call).steps.length === 0 ? "Start." : "All cases are handled, so: **< END >**",
        propose: (call) => `Idea ${seen(call).siblings.length}.`,
        evaluate: () => "Score: 6",
      }),
    );
    const { plan } = await searchPlan(PROBLEM, context(llm, { branches: 1, iterations: 5 }));
    expect(plan).toMatchObject({ stopReason: "end", steps: ["Idea 0."] });
  });

  it("stops on the time budget, read from the injected clock between iterations", async () => {
    let clock = 1_000_000;
    const llm = tieModel();
    const timed = {
      complete: async (...args: Parameters<typeof llm.complete>) => {
        clock += 1000; // every call takes one second
        return llm.complete(...args);
      },
    };
    const { tree, plan } = await searchPlan(
      PROBLEM,
      context(timed, { branches: 2, iterations: 100, timeBudgetSec: 8 }, 1, () => clock),
    );
    // Iteration 1: reflect + 2 proposals + 2 scores = 5 s (< 8 s: go on); iteration 2: 10 s: stop.
    expect(tree).toMatchObject({ stopReason: "time", iterations: 2 });
    expect(plan.seconds).toBe(10);
  });

  it("always runs the first iteration, even with the budget already spent", async () => {
    let clock = 0;
    const llm = tieModel();
    const timed = {
      complete: async (...args: Parameters<typeof llm.complete>) => {
        clock += 60_000;
        return llm.complete(...args);
      },
    };
    const { plan } = await searchPlan(
      PROBLEM,
      context(timed, { timeBudgetSec: 1 }, 1, () => clock),
    );
    expect(plan).toMatchObject({ stopReason: "time" });
    expect(plan.steps).toHaveLength(1);
  });

  it("stops when the abort signal fires", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop now"));
    const ctx = { ...context(tieModel(), {}), signal: controller.signal };
    await expect(searchPlan(PROBLEM, ctx)).rejects.toThrow("stop now");
  });

  it("propagates a model error raised while the next sibling is being written", async () => {
    const llm = scriptedLlm(
      byPurpose({
        reflect: () => "Go.",
        propose: (call) => `Idea ${seen(call).siblings.length}.`,
        evaluate: () => ({ error: new Error("server down") }),
      }),
    );
    await expect(searchPlan(PROBLEM, context(llm, { branches: 3 }))).rejects.toThrow("server down");
  });
});

describe("evaluation parsing in the search", () => {
  it("asks again when no score parses, then falls back to fallbackScore", async () => {
    const llm = scriptedLlm(
      byPurpose({
        reflect: (call) => (seen(call).steps.length > 0 ? "<end>" : "Go."),
        propose: (call) => `Idea ${seen(call).siblings.length}.`,
        evaluate: (call) => {
          const n = llm.callsFor("evaluate").filter((c) => seen(c).newest === seen(call).newest).length;
          if (seen(call).newest === "Idea 0.") return n < 2 ? "Looks fine to me." : "**Score:** 6/10";
          return "I cannot grade this.";
        },
      }),
    );
    const { tree } = await searchPlan(
      PROBLEM,
      context(llm, { ...UNIT, branches: 2, scoreRetries: 2, fallbackScore: 4 }),
    );
    expect(tree.nodes[1]?.score).toEqual({
      raw: "**Score:** 6/10",
      value: 6,
      parsedAs: "labelled",
      attempts: 2,
    });
    expect(tree.nodes[2]?.score).toEqual({
      raw: "I cannot grade this.",
      value: 4,
      parsedAs: "fallback",
      attempts: 3,
    });
    expect(tree.nodes[2]?.value).toBeCloseTo(0.4, 10);
    expect(tree.counters).toMatchObject({ "score.retry": 3, "score.fallback": 1, "score.labelled": 1 });
  });

  it("sets guidedRegex when guided, and records a plain-number reply as guided", async () => {
    const llm = scriptedLlm(
      byPurpose({
        reflect: (call) => (seen(call).steps.length > 0 ? "<end>" : "Go."),
        propose: (call) => `Idea ${seen(call).siblings.length}.`,
        evaluate: () => "7",
      }),
    );
    const { tree } = await searchPlan(PROBLEM, context(llm, { branches: 2, guided: true }));
    expect(llm.callsFor("evaluate").map((c) => c.request.guidedRegex)).toEqual([
      GUIDED_SCORE_REGEX,
      GUIDED_SCORE_REGEX,
    ]);
    expect(tree.nodes[1]?.score.parsedAs).toBe("guided");
    expect(tree.counters).toMatchObject({ "score.guided": 2 });

    const plain = scriptedLlm(
      byPurpose({
        reflect: (call) => (seen(call).steps.length > 0 ? "<end>" : "Go."),
        propose: (call) => `Idea ${seen(call).siblings.length}.`,
        evaluate: () => "7",
      }),
    );
    const unguided = await searchPlan(PROBLEM, context(plain, { branches: 2 }));
    expect(plain.callsFor("evaluate")[0]?.request.guidedRegex).toBeUndefined();
    expect(unguided.tree.nodes[1]?.score.parsedAs).toBe("bare");
  });

  it("passes the sampling and token limits of each role", async () => {
    const llm = tieModel(1);
    await searchPlan(
      PROBLEM,
      context(llm, {
        temperature: 0.3,
        topP: 0.9,
        stepMaxTokens: 111,
        reflectMaxTokens: 22,
        evalMaxTokens: 33,
      }),
    );
    const byRole = (p: LlmPurpose) => llm.callsFor(p)[0]?.request;
    expect(byRole("propose")).toMatchObject({ temperature: 0.3, topP: 0.9, maxTokens: 111 });
    expect(byRole("reflect")).toMatchObject({ maxTokens: 22 });
    expect(byRole("evaluate")).toMatchObject({ maxTokens: 33 });
    for (const call of llm.calls) {
      expect(call.request.messages.map((m) => m.role)).toEqual(["system", "user"]);
    }
  });

  it("counts replies cut off by max tokens", async () => {
    const llm = scriptedLlm(
      byPurpose({
        reflect: (call) => (seen(call).steps.length > 0 ? "<end>" : "Go."),
        propose: () => ({ text: "Sort the array and then", finishReason: "length" }),
        evaluate: () => "Score: 5",
      }),
    );
    const { plan } = await searchPlan(PROBLEM, context(llm, { branches: 1 }));
    expect(plan.counters["length.truncated"]).toBe(1);
  });
});

describe("generateCotPlan (CoT baseline)", () => {
  it("turns one numbered plan into a chain", async () => {
    const llm = scriptedLlm({
      cot: [
        "Here is my plan:\n\nStep 1: Sort the array.\nStep 2: Use two pointers.\nStep 3: Return the indices.",
      ],
    });
    const { tree, plan } = await generateCotPlan(PROBLEM, context(llm, {}));
    expect(plan).toMatchObject({
      steps: ["Sort the array.", "Use two pointers.", "Return the indices."],
      scores: [null, null, null],
      reachedEnd: true,
      stopReason: "single-pass",
      strategy: "cot",
    });
    expect(plan.usage.byRole).toEqual({ cot: 1 });
    expect(tree).toMatchObject({ stopReason: "single-pass", iterations: 1, bestPath: [0, 1, 2, 3] });
    expect(tree.nodes.map((n) => [n.parentId, n.depth, n.terminal])).toEqual([
      [null, 0, false],
      [0, 1, false],
      [1, 2, false],
      [2, 3, true],
    ]);
    expect(tree.nodes[1]?.proposalRaw).toContain("Here is my plan");
    expect(llm.calls[0]?.request).toMatchObject({
      purpose: "cot",
      maxTokens: DEFAULT_SEARCH_PARAMS.cotMaxTokens,
    });
    expect(() => treeRecordSchema.parse(tree)).not.toThrow();
  });

  it("marks a plan cut off by max tokens as not reaching the end", async () => {
    const llm = scriptedLlm({ cot: [{ text: "Step 1: Sort.\nStep 2: Scan the", finishReason: "length" }] });
    const { plan, tree } = await generateCotPlan(PROBLEM, context(llm, {}));
    expect(plan.reachedEnd).toBe(false);
    expect(tree.nodes.every((n) => !n.terminal)).toBe(true);
    expect(plan.counters).toMatchObject({ "length.truncated": 1 });
  });

  it("asks again when the reply has no steps, and fails after maxRegenerations", async () => {
    const llm = scriptedLlm({ cot: ["```python\nprint(1)\n```", "- Sort.\n- Scan.\n```python\nx = 1\n```"] });
    const { plan } = await generateCotPlan(PROBLEM, context(llm, { maxRegenerations: 1 }));
    expect(plan.steps).toEqual(["Sort.", "Scan."]);
    expect(plan.counters).toMatchObject({ "cot.retry": 1, "cot.unnumbered": 1, "step.codeStripped": 1 });

    const empty = scriptedLlm({ cot: ["", ""] });
    await expect(generateCotPlan(PROBLEM, context(empty, { maxRegenerations: 1 }))).rejects.toBeInstanceOf(
      EmptyPlanError,
    );
  });
});
