/**
 * Why the default iteration budget is what it is: a simulation of the search on a scripted model.
 *
 * The model: a problem needs L good steps (L uniform in 3..7, typical of LeetCode medium/hard plans).
 * Each proposed step is good with probability 0.7. The evaluator is noisy but informative: a good
 * step scores 6-9, a bad one 2-6. The reflection says <end> with probability 0.8 once the path holds
 * L good steps (and never before). A search with budget K is the first K iterations of a longer
 * search (everything is deterministic), so one run with a large budget gives, for every K, whether
 * <end> was reached within K iterations.
 *
 * Set SRA_PRINT_BUDGET=1 to print the table (README numbers).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { searchPlan } from "../src/roles/plan-with-llm.js";
import { loadPromptSet, type PromptSet } from "../src/roles/prompts.js";
import { DEFAULT_SEARCH_PARAMS, type SearchParams } from "../src/search/params.js";
import { createRng, type Rng } from "../src/util/rng.js";
import { promptSections, scriptedLlm, stepsIn } from "./support/scripted-llm.js";

let prompts: PromptSet;
beforeAll(async () => {
  prompts = await loadPromptSet();
});

const PROBLEMS = 150;
const MAX_BUDGET = 40;

function simulatedModel(rng: Rng, needed: number) {
  let uid = 0;
  const good = (step: string) => step.endsWith("(good)");
  return scriptedLlm((call) => {
    const s = promptSections(call.user);
    if (call.purpose === "reflect") {
      const steps = stepsIn(s["Plan so far"]);
      const progress = steps.filter(good).length;
      return progress >= needed && rng.next() < 0.8 ? "<end>" : "Refine the approach.";
    }
    if (call.purpose === "propose") {
      uid += 1;
      return `Idea ${uid} ${rng.next() < 0.7 ? "(good)" : "(bad)"}`;
    }
    const newest = (s["Newest step"] ?? "").trim();
    const score = good(newest) ? 6 + rng.int(4) : 2 + rng.int(5);
    return `Score: ${score}`;
  });
}

interface Outcome {
  endAt: number | null; // iteration at which <end> was reached
  calls: number;
  steps: number;
}

async function simulate(params: Partial<SearchParams>, seed: number): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (let i = 0; i < PROBLEMS; i++) {
    const rng = createRng(seed).fork(`p${i}`);
    const needed = 3 + rng.int(5);
    const llm = simulatedModel(rng.fork("model"), needed);
    const { tree, plan } = await searchPlan(
      { id: `p${i}`, question: "Simulated problem." },
      {
        llm,
        rng: rng.fork("search"),
        prompts,
        params: { ...DEFAULT_SEARCH_PARAMS, ...params, iterations: MAX_BUDGET },
        now: () => 0,
      },
    );
    out.push({
      endAt: tree.stopReason === "end" ? tree.iterations : null,
      calls: plan.usage.calls,
      steps: plan.steps.length,
    });
  }
  return out;
}

const reachedWithin = (outcomes: Outcome[], k: number) =>
  outcomes.filter((o) => o.endAt !== null && o.endAt <= k).length / outcomes.length;

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function table(name: string, outcomes: Outcome[]): string {
  const rows = [2, 4, 8, 12, 16, 20, 24, 32, 40].map((k) => {
    const within = outcomes.map((o) => (o.endAt !== null && o.endAt <= k ? o.endAt : k));
    return `| ${k} | ${(100 * reachedWithin(outcomes, k)).toFixed(0)}% | ${meanOf(within).toFixed(1)} |`;
  });
  const ended = outcomes.filter((o) => o.endAt !== null);
  return [
    `${name}: mean plan steps when ended ${meanOf(ended.map((o) => o.steps)).toFixed(1)}`,
    "| budget | reach <end> | mean iterations used |",
    "|---|---|---|",
    ...rows,
  ].join("\n");
}

describe("default iteration budget (simulation)", () => {
  it.runIf(process.env.SRA_PRINT_BUDGET)(
    "prints the table for several settings",
    async () => {
      for (const [name, params] of [
        ["unit, c=0.5", { rewardScale: "unit", c: 0.5 }],
        ["unit, c=0.1", { rewardScale: "unit", c: 0.1 }],
        ["raw, c=0.5 (= unit, c=0.05)", { rewardScale: "raw", c: 0.5 }],
        ["raw, c=0", { rewardScale: "raw", c: 0 }],
      ] as const) {
        console.log(table(name, await simulate(params, Number(process.env.SRA_BUDGET_SEED ?? 1))));
      }
    },
    120_000,
  );

  it("reaches <end> on most simulated problems with the default budget; 2 iterations (the reference code) never does", async () => {
    const outcomes = await simulate({}, 1);
    expect(reachedWithin(outcomes, 2)).toBe(0); // a plan of <= 2 steps cannot hold 3 good steps
    expect(reachedWithin(outcomes, DEFAULT_SEARCH_PARAMS.iterations)).toBeGreaterThanOrEqual(0.85);
  });
});
