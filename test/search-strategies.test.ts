/**
 * The strategies beside SRA-MCTS (beam, best-of-n, self-consistency, self-refine, revision) on a
 * plain scripted policy: no Llm, no prompts, no executor. Drafts are keyed by the label of their
 * request seed (the test computes the same seeds), steps are scored from a table, code is the plan's
 * steps joined, and the verifier and the example runner answer from tables too, so every choice
 * below is worked out by hand.
 */
import { describe, expect, it } from "vitest";
import { runBeam } from "../src/search/beam.js";
import { planScoreOf, runBestOfN } from "../src/search/best-of-n.js";
import { runMcts } from "../src/search/mcts.js";
import { DEFAULT_SEARCH_PARAMS, type SearchParams } from "../src/search/params.js";
import type {
  CritiqueResult,
  DraftResult,
  EvaluateResult,
  ExampleRunner,
  PlanPolicy,
  ProposeResult,
  ReflectResult,
  TestVerdict,
  Verifier,
} from "../src/search/policy.js";
import { runRevision } from "../src/search/revision.js";
import { largestCluster, normaliseCode, runSelfConsistency } from "../src/search/self-consistency.js";
import { runSelfRefine } from "../src/search/self-refine.js";
import { requestSeed, type StrategyContext } from "../src/search/strategy.js";
import { createRng } from "../src/util/rng.js";

const PROBLEM = { id: "p1", question: "Return the largest value." };
const rngOf = () => createRng(1).fork(PROBLEM.id);
/** The seed a strategy sends for `label` (the same derivation as requestSeed in the strategies). */
const seedOf = (label: string) => requestSeed(rngOf(), label);

type Call = { role: string; detail: string };

function draft(steps: string[], raw = steps.join(" / ")): DraftResult {
  return { steps, numbered: true, strippedCode: false, complete: true, raw, events: [] };
}

interface Script {
  /** Drafts by the label of their seed ("best-of-n:0:0", "self-refine:draft:0", ...). */
  drafts?: Record<string, string[]>;
  /** Scores of steps (evaluate). */
  scores?: Record<string, number>;
  /** Next steps by "steps so far|siblings" (propose). */
  proposals?: Record<string, string>;
  /** Plans (steps joined by " ") after which the reflection says <end>. */
  endAfter?: string[];
  /** Critiques by plan (steps joined by " "): "<approved>" approves. */
  critiques?: Record<string, string>;
  /** Revisions by plan (steps joined by " ") -> the new plan's steps. */
  revisions?: Record<string, string[]>;
  /** Test verdicts by code (the steps joined by "\n"). */
  verdicts?: Record<string, TestVerdict>;
  /** Example outputs by code. */
  outputs?: Record<string, (string | null)[]>;
  /** Delay of a draft by label (ms on the real clock; only to reorder answers). */
  draftDelay?: Record<string, number>;
}

function scripted(script: Script): PlanPolicy & { calls: Call[]; maxInFlight: number } {
  const calls: Call[] = [];
  const labels = new Map<number, string>();
  for (const label of Object.keys(script.drafts ?? {})) labels.set(seedOf(label), label);
  let inFlight = 0;
  const verifier: Verifier | undefined = script.verdicts
    ? {
        async verify({ code }) {
          calls.push({ role: "verify", detail: code });
          return script.verdicts?.[code] ?? { status: "fail", passed: 0, total: 1 };
        },
      }
    : undefined;
  const runner: ExampleRunner | undefined = script.outputs
    ? {
        async run({ code }) {
          calls.push({ role: "run", detail: code });
          return { outputs: script.outputs?.[code] ?? [null] };
        },
      }
    : undefined;
  const policy = {
    calls,
    maxInFlight: 0,
    async draft({ seed }: { seed: number }): Promise<DraftResult> {
      const label = labels.get(seed) ?? `unknown seed ${seed}`;
      calls.push({ role: "draft", detail: label });
      inFlight += 1;
      policy.maxInFlight = Math.max(policy.maxInFlight, inFlight);
      const delay = script.draftDelay?.[label];
      if (delay) await new Promise((r) => setTimeout(r, delay));
      else await Promise.resolve();
      inFlight -= 1;
      return draft(script.drafts?.[label] ?? []);
    },
    async evaluate({ step }: { step: string }): Promise<EvaluateResult> {
      calls.push({ role: "evaluate", detail: step });
      const value = script.scores?.[step] ?? null;
      return { score: { raw: `Score: ${value}`, value, parsedAs: "labelled", attempts: 1 }, events: [] };
    },
    async reflect({ steps }: { steps: readonly string[] }): Promise<ReflectResult> {
      calls.push({ role: "reflect", detail: steps.join(" ") });
      const end = (script.endAfter ?? []).includes(steps.join(" "));
      return { end, thought: end ? "" : "go on", raw: end ? "<end>" : "go on", events: [] };
    },
    async propose({
      steps,
      siblings,
    }: {
      steps: readonly string[];
      siblings: readonly string[];
    }): Promise<ProposeResult> {
      calls.push({ role: "propose", detail: steps.join(" ") });
      const step = script.proposals?.[`${steps.join(" ")}|${siblings.join(" ")}`] ?? "";
      return { step, raw: step, events: [] };
    },
    async critique({
      steps,
      code,
    }: {
      steps: readonly string[];
      code: string | null;
    }): Promise<CritiqueResult> {
      calls.push({ role: "critique", detail: `${steps.join(" ")}${code === null ? "" : " +code"}` });
      const text = script.critiques?.[steps.join(" ")] ?? "<approved>";
      const approved = text === "<approved>";
      return { approved, critique: approved ? "" : text, raw: text, events: [] };
    },
    async revise({ steps, feedback }: { steps: readonly string[]; feedback: string }): Promise<DraftResult> {
      calls.push({ role: "revise", detail: `${steps.join(" ")} <- ${feedback}` });
      return draft(script.revisions?.[steps.join(" ")] ?? []);
    },
    async implement({ steps }: { steps: readonly string[] }) {
      calls.push({ role: "implement", detail: steps.join(" ") });
      return { code: steps.join("\n"), attempts: 1, events: [] };
    },
    ...(verifier ? { verifier } : {}),
    ...(runner ? { runner } : {}),
  };
  return policy;
}

function ctx(policy: PlanPolicy, params: Partial<SearchParams> = {}): StrategyContext<PlanPolicy> {
  return { policy, rng: rngOf(), params: { ...DEFAULT_SEARCH_PARAMS, ...params }, now: () => 0 };
}

const roles = (calls: Call[]) => calls.map((c) => c.role).sort();

// Three plans for best-of-n: mean, min and last step score each pick a different one.
//   P0 [a 6, b 8]: mean 7,   min 6, last 8
//   P1 [c 10, f 5]: mean 7.5, min 5, last 5
//   P2 [d 7, e 7]: mean 7,   min 7, last 7
const BON_DRAFTS = { "best-of-n:0:0": ["a", "b"], "best-of-n:1:0": ["c", "f"], "best-of-n:2:0": ["d", "e"] };
const BON_SCORES = { a: 6, b: 8, c: 10, f: 5, d: 7, e: 7 };

describe("best-of-n", () => {
  it.each([
    ["mean", ["c", "f"], [10, 5]],
    ["min", ["d", "e"], [7, 7]],
    ["last", ["a", "b"], [6, 8]],
  ] as const)("by evaluate scores, --plan-score %s keeps %j", async (how, steps, scores) => {
    const policy = scripted({ drafts: BON_DRAFTS, scores: BON_SCORES });
    const out = await runBestOfN(PROBLEM, ctx(policy, { samples: 3, planScore: how }));
    expect(out).toMatchObject({
      strategy: "best-of-n",
      steps,
      scores,
      stopReason: "selected",
      reachedEnd: true,
    });
    expect(out.code).toBeUndefined();
    expect(out.counters).toEqual({ "select.score": 1 });
    // 3 drafts and a score for each of their 6 steps; no code is written without tests.
    expect(roles(policy.calls)).toEqual([...Array(3).fill("draft"), ...Array(6).fill("evaluate")]);
    // The tree: the root and one chain per plan; the chosen chain is the best path.
    expect(out.nodes.map((n) => [n.parentId, n.step])).toEqual([
      [null, ""],
      [0, "a"],
      [1, "b"],
      [0, "c"],
      [3, "f"],
      [0, "d"],
      [5, "e"],
    ]);
    expect(out.bestPath.map((id) => out.nodes[id]?.step)).toEqual(["", ...steps]);
  });

  it("planScoreOf leaves unscored steps out, and a plan with none scores below any other", () => {
    expect(planScoreOf([4, null, 8], "mean")).toBe(6);
    expect(planScoreOf([null], "min")).toBe(-1);
  });

  it("with tests, the plan whose code passes most wins and its code goes with it; nothing is evaluated", async () => {
    const policy = scripted({
      drafts: BON_DRAFTS,
      scores: BON_SCORES,
      verdicts: {
        "a\nb": { status: "fail", passed: 2, total: 5, failure: "assert f(2) == 3" },
        "c\nf": { status: "fail", passed: 4, total: 5 },
        "d\ne": { status: "timeout", passed: 1, total: 5 },
      },
    });
    const out = await runBestOfN(PROBLEM, ctx(policy, { samples: 3 }));
    expect(out.steps).toEqual(["c", "f"]);
    expect(out.code).toBe("c\nf");
    expect(out.tests).toEqual({ status: "fail", passed: 4, total: 5 });
    expect(out.counters).toEqual({ "select.tests": 1 });
    expect(roles(policy.calls)).toEqual([
      ...Array(3).fill("draft"),
      ...Array(3).fill("implement"),
      ...Array(3).fill("verify"),
    ]);
  });

  it("writes its N plans concurrently, and the answer order does not change the result", async () => {
    const run = async (delays: Record<string, number>) => {
      const policy = scripted({ drafts: BON_DRAFTS, scores: BON_SCORES, draftDelay: delays });
      const out = await runBestOfN(PROBLEM, ctx(policy, { samples: 3 }));
      return { out, policy };
    };
    const first = await run({ "best-of-n:0:0": 30, "best-of-n:1:0": 15, "best-of-n:2:0": 1 });
    const second = await run({ "best-of-n:0:0": 1, "best-of-n:1:0": 15, "best-of-n:2:0": 30 });
    expect(first.policy.maxInFlight).toBe(3);
    // The last plan answered first in one run and last in the other: the same tree either way.
    expect(first.policy.calls.filter((c) => c.role === "draft").map((c) => c.detail)).toEqual([
      "best-of-n:0:0",
      "best-of-n:1:0",
      "best-of-n:2:0",
    ]);
    expect(first.out.nodes).toEqual(second.out.nodes);
    expect(first.out.steps).toEqual(second.out.steps);
  });

  it("a plan with no steps is asked again, and one that stays empty is never chosen", async () => {
    const policy = scripted({
      drafts: { "best-of-n:0:0": [], "best-of-n:0:1": [], "best-of-n:1:0": ["c"] },
      scores: { c: 2 },
    });
    const out = await runBestOfN(PROBLEM, ctx(policy, { samples: 2, maxRegenerations: 1 }));
    expect(out.steps).toEqual(["c"]);
    expect(out.iterations).toBe(3);
    expect(out.counters).toMatchObject({ "cot.retry": 1, "candidate.empty": 1 });
  });
});

describe("self-consistency", () => {
  const drafts = {
    "self-consistency:0:0": ["a"],
    "self-consistency:1:0": ["b"],
    "self-consistency:2:0": ["c"],
    "self-consistency:3:0": ["d"],
  };

  it("without tests, runs the codes on the examples and keeps the first of the largest output group", async () => {
    // a and c agree on both examples (group of 2); b differs on the second; d failed on every example
    // and is in no group (else its [null, null] could outvote real answers).
    const policy = scripted({
      drafts,
      outputs: { a: ["1", "2 "], b: ["1", "3"], c: ["1", "2"], d: [null, null] },
    });
    const out = await runSelfConsistency(PROBLEM, ctx(policy, { samples: 4 }));
    expect(out).toMatchObject({
      strategy: "self-consistency",
      steps: ["a"],
      code: "a",
      stopReason: "selected",
    });
    expect(out.counters).toEqual({ "select.outputs": 1 });
    expect(roles(policy.calls)).toEqual([
      ...Array(4).fill("draft"),
      ...Array(4).fill("implement"),
      ...Array(4).fill("run"),
    ]);
  });

  it("with tests, keeps the plan whose code passes most", async () => {
    const policy = scripted({
      drafts,
      verdicts: { a: { status: "fail", passed: 0, total: 2 }, c: { status: "pass", passed: 2, total: 2 } },
    });
    const out = await runSelfConsistency(PROBLEM, ctx(policy, { samples: 4 }));
    expect(out).toMatchObject({ steps: ["c"], code: "c", tests: { status: "pass" } });
    expect(out.counters).toEqual({ "candidate.passed": 1, "select.tests": 1 });
  });

  it("without tests or examples, only identical programs agree (comments and blank lines aside)", async () => {
    expect(normaliseCode("x = 1  # one\n\n# note\ny = 2\n")).toBe("x = 1\ny = 2");
    const policy = scripted({
      drafts: { "self-consistency:0:0": ["a"], "self-consistency:1:0": ["b"], "self-consistency:2:0": ["b"] },
    });
    const out = await runSelfConsistency(PROBLEM, ctx(policy, { samples: 3 }));
    expect(out.steps).toEqual(["b"]);
    expect(out.bestPath).toEqual([0, 2]);
    expect(out.counters).toEqual({ "select.code": 1 });
  });

  it.each([
    [["x", "y", "x"], 0],
    [["x", "y", "y"], 1],
    [["x", "y"], 0],
    [[null, "y", null], 1],
    [[null, null], 0],
  ])("largestCluster(%j) is %i", (keys, expected) => {
    expect(largestCluster(keys)).toBe(expected);
  });
});

describe("self-refine", () => {
  it("critiques and revises until the critic approves; the approved plan is kept", async () => {
    const policy = scripted({
      drafts: { "self-refine:draft:0": ["a"] },
      critiques: { a: "misses the empty input", "a b": "<approved>" },
      revisions: { a: ["a", "b"] },
    });
    const out = await runSelfRefine(PROBLEM, ctx(policy));
    expect(out).toMatchObject({
      strategy: "self-refine",
      steps: ["a", "b"],
      stopReason: "approved",
      iterations: 1,
    });
    expect(policy.calls.map((c) => `${c.role} ${c.detail}`)).toEqual([
      "draft self-refine:draft:0",
      "critique a",
      "revise a <- misses the empty input",
      "critique a b",
    ]);
    expect(out.counters).toEqual({ "critique.approved": 1 });
    // Each plan is a chain under the root; the critic's reply is kept on each chain's last node.
    expect(out.nodes.map((n) => [n.step, n.reflectionRaw])).toEqual([
      ["", null],
      ["a", "misses the empty input"],
      ["a", null],
      ["b", "<approved>"],
    ]);
    expect(out.bestPath).toEqual([0, 2, 3]);
  });

  it("stops after --refine-rounds with the last revision (not critiqued again); an empty revision keeps its plan", async () => {
    const policy = scripted({
      drafts: { "self-refine:draft:0": ["a"] },
      critiques: { a: "wrong", c: "still wrong" },
      revisions: { a: [], c: ["d"] },
    });
    // Round 1: a's revision is empty (a is kept); round 2 revises a again: still empty. Then stop.
    const out = await runSelfRefine(PROBLEM, ctx(policy, { refineRounds: 2 }));
    expect(out).toMatchObject({ steps: ["a"], stopReason: "rounds", iterations: 2 });
    expect(out.counters).toEqual({ "revise.empty": 2 });
    expect(roles(policy.calls)).toEqual(["critique", "critique", "draft", "revise", "revise"]);
  });
});

describe("revision", () => {
  it("with tests: each attempt is shown the failing test; the first to pass ends the search", async () => {
    const policy = scripted({
      drafts: { "revision:draft:0": ["a"] },
      revisions: { a: ["a", "b"] },
      verdicts: {
        a: { status: "fail", passed: 1, total: 3, failure: "assert f([]) == 0" },
        "a\nb": { status: "pass", passed: 3, total: 3 },
      },
    });
    const out = await runRevision(PROBLEM, ctx(policy));
    expect(out).toMatchObject({
      strategy: "revision",
      steps: ["a", "b"],
      stopReason: "passed",
      code: "a\nb",
    });
    expect(out.tests).toEqual({ status: "pass", passed: 3, total: 3 });
    expect(policy.calls.map((c) => `${c.role} ${c.detail}`)).toEqual([
      "draft revision:draft:0",
      "implement a",
      "verify a",
      "revise a <- The code failed: it passed 1 of 3 tests.\nFirst failure: assert f([]) == 0",
      "implement a b",
      "verify a\nb",
    ]);
  });

  it("with tests and the attempts spent: the attempt that passed most is kept (ties: the later)", async () => {
    const policy = scripted({
      drafts: { "revision:draft:0": ["a"] },
      revisions: { a: ["b"], b: ["c"] },
      verdicts: {
        a: { status: "fail", passed: 2, total: 4 },
        b: { status: "fail", passed: 1, total: 4 },
        c: { status: "fail", passed: 2, total: 4 },
      },
    });
    const out = await runRevision(PROBLEM, ctx(policy, { revisionAttempts: 3 }));
    expect(out).toMatchObject({ steps: ["c"], stopReason: "rounds", iterations: 3, code: "c" });
    expect(out.counters).toEqual({ "select.tests": 1 });
  });

  it("without tests: the critic reads plan and code; its approval ends the search", async () => {
    // Example outputs are self-consistency's signal: revision does not run them.
    const policy = scripted({
      drafts: { "revision:draft:0": ["a"] },
      critiques: { a: "off by one", b: "<approved>" },
      revisions: { a: ["b"] },
      outputs: { a: ["1"], b: ["2"] },
    });
    const out = await runRevision(PROBLEM, ctx(policy));
    expect(out).toMatchObject({ steps: ["b"], stopReason: "approved", code: "b", iterations: 2 });
    expect(policy.calls.map((c) => `${c.role} ${c.detail}`)).toEqual([
      "draft revision:draft:0",
      "implement a",
      "critique a +code",
      "revise a <- off by one",
      "implement b",
      "critique b +code",
    ]);
  });
});

describe("beam", () => {
  // Width 2, two expansions per beam. Depth 1 expands the root: A 8, B 5 (both kept).
  // Depth 2 expands both: A -> A1 6, A2 9; B -> B1 9, B2 2. Mean path scores: A1 7, A2 8.5, B1 7,
  // B2 3.5; the two best are A2 (8.5), then A1 and B1 tie at 7 and the lower id (A1, node 3) wins.
  // Depth 3: the reflection on [A, A2] says <end>: the search stops with that plan.
  const proposals = {
    "|": "A",
    "|A": "B",
    "A|": "A1",
    "A|A1": "A2",
    "B|": "B1",
    "B|B1": "B2",
  };
  const scores = { A: 8, B: 5, A1: 6, A2: 9, B1: 9, B2: 2 };

  it("keeps the best-scored partial plans each depth and stops at the first <end>", async () => {
    const policy = scripted({ proposals, scores, endAfter: ["A A2"] });
    const out = await runBeam(PROBLEM, ctx(policy, { beamWidth: 2, beamExpansions: 2 }));
    expect(out).toMatchObject({ strategy: "beam", steps: ["A", "A2"], stopReason: "end", reachedEnd: true });
    expect(out.scores).toEqual([8, 9]);
    expect(out.iterations).toBe(2);
    // Reflected: the root; A and B; A2 and A1 (the beams in rank order).
    expect(out.selections).toEqual([0, 1, 2, 4, 3]);
    expect(out.nodes.map((n) => [n.id, n.parentId, n.step])).toEqual([
      [0, null, ""],
      [1, 0, "A"],
      [2, 0, "B"],
      [3, 1, "A1"],
      [4, 1, "A2"],
      [5, 2, "B1"],
      [6, 2, "B2"],
    ]);
    expect(out.counters).toEqual({ "beam.depth": 2, "reflect.end": 1 });
  });

  it("expands the beams of a depth concurrently and labels requests by beam: the same seed, the same calls", async () => {
    const run = async () => {
      const policy = scripted({ proposals, scores, endAfter: ["A A2"] });
      await runBeam(PROBLEM, ctx(policy, { beamWidth: 2, beamExpansions: 2 }));
      return policy.calls;
    };
    const calls = await run();
    // Depth 1 is the root's reflection and two proposals with their scores (5 calls). At depth 2
    // both reflections are asked at once, then both beams' first proposals, before either goes on.
    expect(calls.slice(5, 9).map((c) => `${c.role} ${c.detail}`)).toEqual([
      "reflect A",
      "reflect B",
      "propose A",
      "propose B",
    ]);
    expect(await run()).toEqual(calls);
  });

  it("without <end>, stops when every beam is at --max-depth and keeps the best-scored one", async () => {
    const policy = scripted({ proposals, scores });
    const out = await runBeam(PROBLEM, ctx(policy, { beamWidth: 2, beamExpansions: 2, maxDepth: 2 }));
    expect(out).toMatchObject({ steps: ["A", "A2"], stopReason: "exhausted", reachedEnd: false });
    expect(out.counters).toMatchObject({ "deadEnd.maxDepth": 2 });
  });
});

describe("mcts --verify-end", () => {
  // The hand-worked tree of test/search-policy.test.ts (branches 2): A 8, B 6 under the root; C 7,
  // D 9 under A; the reflection on [A, D] says <end> in iteration 3. Here [A, D]'s code fails.
  const proposals = { "|": "A", "|A": "B", "A|": "C", "A|C": "D", "B|": "E", "B|E": "F" };
  const scores = { A: 8, B: 6, C: 7, D: 9, E: 9, F: 5 };
  const verdicts: Record<string, TestVerdict> = {
    "A\nD": { status: "fail", passed: 1, total: 2, failure: "assert f(0) == 0" },
    "B\nE": { status: "pass", passed: 2, total: 2 },
  };
  const run = (script: Script, params: Partial<SearchParams>) =>
    runMcts(PROBLEM, ctx(scripted(script), { branches: 2, iterations: 10, ...params }));

  it("a failing terminal gets reward 0, backpropagated, and the search goes on to one that passes", async () => {
    const out = await run({ proposals, scores, endAfter: ["A D", "B E"], verdicts }, { verifyEnd: true });
    // Iteration 3: [A, D] fails: D's value 0 (visits 2); A: 0.7 * 8 + 0.3 * (1 * 7 + 2 * 0) / 3 = 6.3;
    //   the root: 0.7 * 7.1 + 0.3 * (3 * 6.3 + 1 * 6) / 4 = 6.8375.
    // Iteration 4: UCB1 at N = 3: A 6.3 + 0.5 * sqrt(2 ln 3 / 3) = 6.728 < B 6 + 0.5 * sqrt(2 ln 3) = 6.741:
    //   B gets E 9, F 5; B: 0.7 * 6 + 0.3 * 7 = 6.3.
    //   The root: 0.7 * 6.8375 + 0.3 * (3 * 6.3 + 2 * 6.3) / 5 = 6.67625.
    // Iteration 5: A 6.781 < B 6.889; under B, E 9.589 > F 5.589; [B, E] ends, and its code passes.
    expect(out.selections).toEqual([0, 1, 4, 2, 5]);
    expect(out.nodes.map((n) => Number(n.value.toFixed(5)))).toEqual([6.67625, 6.3, 6.3, 7, 0, 9, 5]);
    expect(out.nodes[4]).toMatchObject({ deadEnd: "failed-tests", terminal: false, visits: 2 });
    expect(out).toMatchObject({
      steps: ["B", "E"],
      stopReason: "end",
      code: "B\nE",
      tests: { status: "pass" },
    });
    expect(out.counters).toMatchObject({ "verify.tried": 2, "verify.failed": 1 });
  });

  it("off (the default), or for a problem without tests, the first <end> is accepted as in the paper", async () => {
    const off = await run({ proposals, scores, endAfter: ["A D", "B E"], verdicts }, {});
    expect(off).toMatchObject({ steps: ["A", "D"], stopReason: "end" });
    expect(off.code).toBeUndefined();
    const untested = await run({ proposals, scores, endAfter: ["A D", "B E"] }, { verifyEnd: true });
    expect(untested).toMatchObject({ steps: ["A", "D"], stopReason: "end" });
    expect(untested.counters).toMatchObject({ "verify.untested": 1 });
  });

  it("with parallel iterations, a refused terminal ends nothing: the search goes on to the one that passes", async () => {
    const script = { proposals, scores, endAfter: ["A D", "B E"], verdicts };
    const parallel = { verifyEnd: true, parallelIterations: 3, parallelAfter: 0 };
    const first = await run(script, parallel);
    expect(first).toMatchObject({
      steps: ["B", "E"],
      stopReason: "end",
      code: "B\nE",
      tests: { status: "pass" },
    });
    expect(first.counters).toMatchObject({ "verify.tried": 2, "verify.failed": 1 });
    expect(first.nodes.find((n) => n.step === "D")).toMatchObject({
      deadEnd: "failed-tests",
      terminal: false,
    });
    // Deterministic for the seed: the same tree again.
    const again = await run(script, parallel);
    expect(again.nodes).toEqual(first.nodes);
    expect(again.selections).toEqual(first.selections);
  });

  it("when every terminal fails, the budget ends the search and the plan carries its failing verdict", async () => {
    const out = await run(
      { proposals, scores, endAfter: ["A D", "B E"], verdicts: { "A\nD": verdicts["A\nD"] as TestVerdict } },
      { verifyEnd: true, iterations: 5 },
    );
    expect(out.stopReason).toBe("iterations");
    expect(out.counters).toMatchObject({ "verify.tried": 2, "verify.failed": 2 });
    expect(out.nodes.filter((n) => n.deadEnd === "failed-tests").map((n) => n.step)).toEqual(["D", "E"]);
  });
});
