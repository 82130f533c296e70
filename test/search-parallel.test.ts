/**
 * Parallel iterations (--parallel-iterations K) and the guarantee that K = 1 is the search as it was.
 *
 * The K = 1 fixture (test/fixtures/mcts-k1-trees.jsonl) was written by the search before parallel
 * iterations existed (`SRA_WRITE_FIXTURES=1 npx vitest run test/search-parallel.test.ts` at that
 * commit): whole trees, plans and usage of searches on a messy model (test/support/hash-model.ts)
 * through the real prompts and parsers. K = 1 must reproduce them byte for byte.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { Llm } from "../src/llm/types.js";
import { planWithLlm } from "../src/roles/plan-with-llm.js";
import { loadPromptSet, type PromptSet } from "../src/roles/prompts.js";
import { runMcts } from "../src/search/mcts.js";
import { DEFAULT_SEARCH_PARAMS, type SearchParams } from "../src/search/params.js";
import type { EvaluateResult, MctsPolicy, ProposeResult, ReflectResult } from "../src/search/policy.js";
import { EmptyPlanError } from "../src/search/strategy.js";
import type { PlanRecord, TreeRecord } from "../src/types.js";
import { createRng } from "../src/util/rng.js";
import { hashModel } from "./support/hash-model.js";
import { fnv } from "./support/plan-script.js";

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/mcts-k1-trees.jsonl");

let prompts: PromptSet;
beforeAll(async () => {
  prompts = await loadPromptSet();
});

const QUESTIONS = [
  "Return the indices of the two numbers in nums that add up to target.",
  "Given a string, return the length of its longest substring without repeating characters.",
  "Merge k sorted linked lists into one sorted list.",
  "Find the median of two sorted arrays in logarithmic time.",
  "Count the islands in a grid of land and water cells.",
  "Return the minimum number of coins that make up an amount.",
];

/** The parameter sets of the fixture: the defaults, and a small, unit-scale, shallow search. */
const PARAM_SETS: Record<string, Partial<SearchParams>> = {
  defaults: { iterations: 12 },
  "unit-shallow": { rewardScale: "unit", branches: 2, iterations: 10, maxDepth: 3, maxRegenerations: 1 },
};

interface SearchRecord {
  set: string;
  tree: TreeRecord;
  plan: PlanRecord | null;
  requests: string;
}

/** One search on the hash model, as the records a run writes (plus a digest of every request sent). */
async function searchRecord(
  set: string,
  index: number,
  extra: Partial<SearchParams> = {},
  llm: Llm & {
    calls: { request: { purpose: string; seed?: number; messages: { content: string }[] } }[];
  } = hashModel(),
): Promise<SearchRecord> {
  const problem = { id: `q${index}`, question: QUESTIONS[index] as string };
  const params = { ...DEFAULT_SEARCH_PARAMS, ...PARAM_SETS[set], ...extra };
  const requests = () =>
    llm.calls
      .map(
        (c) =>
          `${c.request.purpose}|${c.request.seed}|${c.request.messages.map((m) => m.content).join("\n")}`,
      )
      .sort()
      .map((k) => fnv(k).toString(16))
      .join(",");
  try {
    const { tree, plan } = await planWithLlm("mcts", problem, {
      llm,
      rng: createRng(3).fork(problem.id),
      prompts,
      params,
      now: () => 0,
    });
    return { set, tree, plan, requests: fnv(requests()).toString(16) };
  } catch (e) {
    if (!(e instanceof EmptyPlanError)) throw e;
    return { set, tree: e.tree, plan: null, requests: fnv(requests()).toString(16) };
  }
}

async function allRecords(
  extra: Partial<SearchParams> = {},
  model: () => ReturnType<typeof hashModel> = () => hashModel(),
): Promise<string[]> {
  const lines: string[] = [];
  for (const set of Object.keys(PARAM_SETS)) {
    for (let i = 0; i < QUESTIONS.length; i++) {
      lines.push(JSON.stringify(await searchRecord(set, i, extra, model())));
    }
  }
  return lines;
}

/** Two orders of finishing: each reply waits 0-6 turns of the event loop, by two different hashes. */
const TIMINGS = {
  "in call order": () => hashModel(),
  "shuffled A": () => hashModel({ ticks: (k) => fnv(`A${k}`) % 7 }),
  "shuffled B": () => hashModel({ ticks: (k) => fnv(`B${k}`) % 7 }),
};

describe("K = 1 is the search as it was before parallel iterations", () => {
  it("writes the same trees, plans and requests as the code before the change (fixture)", async () => {
    const lines = await allRecords();
    if (process.env.SRA_WRITE_FIXTURES) writeFileSync(FIXTURE, `${lines.join("\n")}\n`);
    const expected = readFileSync(FIXTURE, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(expected.length);
    for (const [i, line] of lines.entries()) expect(line).toBe(expected[i]);
  });
});

describe("K > 1 is deterministic for a seed, whatever the timing", () => {
  it.each([2, 3, 4])("K = %d: the same trees and plans when calls finish in other orders", async (k) => {
    const runs = await Promise.all(
      Object.values(TIMINGS).map((model) => allRecords({ parallelIterations: k, parallelAfter: 0 }, model)),
    );
    const parsed = runs.map((lines) => lines.map((l) => JSON.parse(l) as SearchRecord));
    const [first, ...others] = parsed;
    for (const other of others) {
      for (const [i, rec] of (other ?? []).entries()) {
        const base = first?.[i];
        expect(rec.tree).toEqual(base?.tree);
        // Usage may differ only by the calls discarded iterations made before their abort.
        const { usage: _u, ...plan } = rec.plan ?? { usage: null };
        const { usage: _b, ...basePlan } = base?.plan ?? { usage: null };
        expect(plan).toEqual(basePlan);
        if (!rec.tree.counters["parallel.discarded"]) expect(rec.requests).toBe(base?.requests);
      }
    }
    // And it is another search than K = 1's.
    expect(first?.map((r) => JSON.stringify(r.tree))).not.toEqual(
      (await allRecords()).map((l) => JSON.stringify(JSON.parse(l).tree)),
    );
  });
});

/**
 * A policy whose replies come from tables keyed by the plan so far, each after a number of turns of
 * the event loop (so a test decides which call finishes first) and abortable like a real request.
 */
function timedPolicy(spec: {
  /** steps joined by " > " -> [ticks, says <end>] for the reflection on that path (default [0, false]). */
  reflect?: Record<string, [number, boolean]>;
  /** The score of a step (default 5). Proposals are "<parent path> > <letter>" so every step is new. */
  scores?: Record<string, number>;
}): MctsPolicy & { calls: { role: string; path: string; aborted: boolean }[] } {
  const calls: { role: string; path: string; aborted: boolean }[] = [];
  const wait = async (ticks: number, signal: AbortSignal | undefined, entry: { aborted: boolean }) => {
    for (let i = 0; i < ticks; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) {
        entry.aborted = true;
        throw signal.reason;
      }
    }
  };
  return {
    calls,
    async reflect({ steps }, signal): Promise<ReflectResult> {
      const path = steps.join(" > ");
      const [ticks, end] = spec.reflect?.[path] ?? [0, false];
      const entry = { role: "reflect", path, aborted: false };
      calls.push(entry);
      await wait(ticks, signal, entry);
      return { end, thought: end ? "" : "go on", raw: end ? "<end>" : "go on", events: [] };
    },
    async propose({ steps, siblings }): Promise<ProposeResult> {
      const step = [...steps, "ABC"[siblings.length] as string].join(" > ");
      calls.push({ role: "propose", path: step, aborted: false });
      return { step, raw: step, events: [] };
    },
    async evaluate({ step }): Promise<EvaluateResult> {
      const value = spec.scores?.[step] ?? 5;
      return { score: { raw: `Score: ${value}`, value, parsedAs: "labelled", attempts: 1 }, events: [] };
    },
  };
}

function policyContext<P>(policy: P, params: Partial<SearchParams>, signal?: AbortSignal) {
  return {
    policy,
    rng: createRng(1).fork("p"),
    params: { ...DEFAULT_SEARCH_PARAMS, ...params },
    now: () => 0,
    ...(signal ? { signal } : {}),
  };
}

const PROBLEM = { id: "p", question: "q" };
// Root children A 8, B 7, C 6. With K = 3 the window after the first iteration holds A, B, C:
// A by UCB1 (8 > 7 > 6 at N = 1); then, A in flight (n' = 2, r' = 4, N' = 2), B 7.589 beats A 4.416
// and C 6.589; then C 6.741 beats A 4.524 and B 4.018.
const SCORES = { A: 8, B: 7, C: 6 };

describe("K > 1 after a sequential start (search.parallelAfter)", () => {
  it("runs the first parallelAfter iterations one at a time: a search that ends within them is K = 1's", async () => {
    const sequential = (await allRecords()).map((l) => JSON.parse(l) as SearchRecord);
    const parallel = (await allRecords({ parallelIterations: 4, parallelAfter: 3 })).map(
      (l) => JSON.parse(l) as SearchRecord,
    );
    const short = sequential.filter((r) => r.tree.iterations <= 3 && r.tree.stopReason !== "iterations");
    expect(short.length).toBeGreaterThan(0);
    for (const [i, rec] of sequential.entries()) {
      const other = parallel[i] as SearchRecord;
      if (short.includes(rec)) expect(other).toEqual(rec);
      else expect(other.tree.selections?.slice(0, 3)).toEqual(rec.tree.selections?.slice(0, 3));
    }
    expect(parallel.map((r) => JSON.stringify(r.tree))).not.toEqual(
      sequential.map((r) => JSON.stringify(r.tree)),
    );
  });
});

describe("K > 1: selection order, <end> and discarded iterations", () => {
  it("selects different leaves for the iterations in flight and applies them in that order", async () => {
    const policy = timedPolicy({ scores: SCORES, reflect: { A: [6, false], B: [0, false], C: [3, false] } });
    const out = await runMcts(
      PROBLEM,
      policyContext(policy, { parallelIterations: 3, parallelAfter: 0, iterations: 4 }),
    );
    // Reflections on A, B and C were all asked before any of them returned.
    expect(
      policy.calls
        .filter((c) => c.role === "reflect")
        .map((c) => c.path)
        .slice(0, 4),
    ).toEqual(["", "A", "B", "C"]);
    expect(out.selections).toEqual([0, 1, 2, 3]);
    expect(out.stopReason).toBe("iterations");
    // Each expansion is applied in selection order: A's children get ids 4-6, B's 7-9, C's 10-12.
    expect(out.nodes.slice(4).map((n) => n.step)).toEqual(
      ["A", "B", "C"].flatMap((p) => [`${p} > A`, `${p} > B`, `${p} > C`]),
    );
  });

  it("the first <end> in selection order ends the search; younger iterations are aborted and left out", async () => {
    // B says <end> first (0 turns); A, older, is still reflecting (6 turns); C (4 turns) is younger.
    const policy = timedPolicy({ scores: SCORES, reflect: { A: [6, false], B: [0, true], C: [4, false] } });
    const out = await runMcts(PROBLEM, policyContext(policy, { parallelIterations: 3, parallelAfter: 0 }));
    expect(out.steps).toEqual(["B"]);
    expect(out.stopReason).toBe("end");
    // C was aborted as soon as B's <end> came in; A finished and was applied (its children are in the
    // tree), and the iteration selected after A was applied was never run.
    expect(policy.calls.find((c) => c.role === "reflect" && c.path === "C")?.aborted).toBe(true);
    expect(out.selections).toEqual([0, 1, 2]);
    expect(out.nodes.map((n) => n.step)).toEqual(["", "A", "B", "C", "A > A", "A > B", "A > C"]);
    expect(out.nodes[3]?.reflection).toBeNull();
    expect(policy.calls.filter((c) => c.role === "reflect").map((c) => c.path)).toEqual(["", "A", "B", "C"]);
    expect(out.counters).toMatchObject({ "parallel.discarded": 2, "reflect.end": 1 });
  });

  it("an older <end> wins over a younger one that came in first", async () => {
    const policy = timedPolicy({ scores: SCORES, reflect: { A: [5, true], B: [0, true], C: [9, false] } });
    const out = await runMcts(PROBLEM, policyContext(policy, { parallelIterations: 3, parallelAfter: 0 }));
    expect(out.steps).toEqual(["A"]);
    expect(out.nodes.filter((n) => n.terminal).map((n) => n.step)).toEqual(["A"]);
    expect(out.nodes[2]?.reflection).toBeNull(); // B's <end> was discarded with it
    expect(out.counters["parallel.discarded"]).toBe(2);
  });

  it("an error of an iteration in flight fails the search once the older ones are applied, after the rest settle", async () => {
    const policy = timedPolicy({ scores: SCORES, reflect: { A: [4, false], C: [20, false] } });
    const failing: MctsPolicy = {
      ...policy,
      reflect: (input, signal) =>
        input.steps.join(" > ") === "B"
          ? Promise.reject(new Error("HTTP 500"))
          : policy.reflect(input, signal),
    };
    await expect(
      runMcts(PROBLEM, policyContext(failing, { parallelIterations: 3, parallelAfter: 0 })),
    ).rejects.toThrow("HTTP 500");
    // A (older) was applied first: its expansion ran; C (younger) was aborted before the error left.
    expect(policy.calls.filter((c) => c.role === "propose").map((c) => c.path)).toContain("A > A");
    expect(policy.calls.find((c) => c.role === "reflect" && c.path === "C")?.aborted).toBe(true);
  });

  it("stops every iteration in flight when the search's signal aborts", async () => {
    const controller = new AbortController();
    const policy = timedPolicy({
      scores: SCORES,
      reflect: { A: [50, false], B: [50, false], C: [50, false] },
    });
    const running = runMcts(
      PROBLEM,
      policyContext(policy, { parallelIterations: 3, parallelAfter: 0 }, controller.signal),
    );
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error("interrupted"));
    await expect(running).rejects.toThrow("interrupted");
    expect(
      policy.calls.filter((c) => c.role === "reflect" && c.path.length === 1).every((c) => c.aborted),
    ).toBe(true);
  });
});
