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
import { DEFAULT_SEARCH_PARAMS, type SearchParams } from "../src/search/params.js";
import { EmptyPlanError } from "../src/search/strategy.js";
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

/** One search on the hash model, as the records a run writes (plus a digest of every request sent). */
async function searchRecord(
  set: string,
  index: number,
  extra: Partial<SearchParams> = {},
  llm: Llm & {
    calls: { request: { purpose: string; seed?: number; messages: { content: string }[] } }[];
  } = hashModel(),
): Promise<Record<string, unknown>> {
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

async function allRecords(extra: Partial<SearchParams> = {}): Promise<string[]> {
  const lines: string[] = [];
  for (const set of Object.keys(PARAM_SETS)) {
    for (let i = 0; i < QUESTIONS.length; i++) lines.push(JSON.stringify(await searchRecord(set, i, extra)));
  }
  return lines;
}

describe("K = 1 is the search as it was before parallel iterations", () => {
  it("writes the same trees, plans and requests as the code before the change (fixture)", async () => {
    const lines = await allRecords();
    if (process.env.SRA_WRITE_FIXTURES) writeFileSync(FIXTURE, `${lines.join("\n")}\n`);
    const expected = readFileSync(FIXTURE, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(expected.length);
    for (const [i, line] of lines.entries()) expect(line).toBe(expected[i]);
  });
});
