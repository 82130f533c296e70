/** Stats on fixture runs, number by number (see standardRun in support/run-fixture.ts). */
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../src/errors.js";
import { type RunStats, RunStatsAccumulator } from "../src/run-dir/accumulator.js";
import { collectRunStats } from "../src/run-dir/read-run.js";
import { describe as describeNumbers, ScoreHistogram } from "../src/run-dir/summary-stats.js";
import { formatStatsTable, statsRows } from "../src/stats/format.js";
import { cotRun, makePlan, makeSample, standardRun, writeRunFixture } from "./support/run-fixture.js";

let tmp: string;
let mcts: RunStats;
let cot: RunStats;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "sra-stats-"));
  mcts = await collectRunStats(
    await writeRunFixture(path.join(tmp, "mcts"), {
      ...standardRun(),
      tornTail: ["trees", "plans", "samples", "failures"],
    }),
    "mcts",
  );
  cot = await collectRunStats(await writeRunFixture(path.join(tmp, "cot"), cotRun()), "cot");
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("describe()", () => {
  it.each([
    [[], { count: 0, min: null, max: null, mean: null, median: null, p90: null, sum: 0 }],
    [[5], { count: 1, min: 5, max: 5, mean: 5, median: 5, p90: 5, sum: 5 }],
    [[20, 30, 40, 10], { count: 4, min: 10, max: 40, mean: 25, median: 25, p90: 40, sum: 100 }],
    [
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      { count: 10, min: 1, max: 10, mean: 5.5, median: 5.5, p90: 9, sum: 55 },
    ],
    [[3, 1, 2], { count: 3, min: 1, max: 3, mean: 2, median: 2, p90: 3, sum: 6 }],
  ])("%o", (values, expected) => {
    expect(describeNumbers(values)).toEqual(expected);
  });
});

describe("ScoreHistogram", () => {
  it.each([
    [[], null, null, [0, 0, 0, 0, 0]],
    [[7], 7, 7, [0, 0, 0, 1, 0]],
    [[2, 3, 4, 5], 3.5, 3.5, [0, 2, 2, 0, 0]],
    [[0, 10, 10, 1.5], 5.375, 5.75, [2, 0, 0, 0, 2]],
    [[-3, 12], 4.5, 5, [1, 0, 0, 0, 1]],
  ])("%o: mean %s, median %s", (values, mean, median, bins) => {
    const h = new ScoreHistogram();
    for (const v of values) h.add(v);
    expect(h.mean).toBe(mean);
    expect(h.median).toBe(median);
    expect(h.bins().map((b) => b.count)).toEqual(bins);
  });
});

describe("stats of the standard run", () => {
  it("knows the run", () => {
    expect(mcts).toMatchObject({
      run: "mcts",
      model: "meta-llama/Llama-3.1-8B-Instruct",
      preset: "llama-3.1-8b",
      strategy: "mcts",
      finished: true,
      merged: false,
    });
    expect(mcts.records).toEqual({ trees: 4, plans: 4, samples: 2, failures: 4 });
  });

  it("counts problems done, failed and unfinished", () => {
    expect(mcts.problems).toEqual({ seen: 5, done: 2, failed: 2, unfinished: 1 });
    expect(mcts.failures).toEqual({
      records: 4,
      byStage: { code: 1, plans: 3 },
      byKind: { llm: 1, "no-code": 1, parse: 1, timeout: 1 },
    });
  });

  it("summarizes plans", () => {
    expect(mcts.plans.count).toBe(4);
    expect(mcts.plans.reachedEnd).toBe(2);
    expect(mcts.plans.stopReasons).toEqual({ end: 2, iterations: 1, time: 1 });
    expect(mcts.plans.steps).toMatchObject({ min: 1, median: 2.5, max: 4, mean: 2.5 });
    expect(mcts.plans.stepBins.filter((b) => b.count > 0)).toEqual([
      { label: "1", count: 1 },
      { label: "2", count: 1 },
      { label: "3", count: 1 },
      { label: "4", count: 1 },
    ]);
  });

  it("bins chosen-path and node scores", () => {
    expect(mcts.scores.chosen.count).toBe(9);
    expect(mcts.scores.chosen.mean).toBeCloseTo(56 / 9, 10);
    expect(mcts.scores.chosen.median).toBe(6);
    expect(mcts.scores.chosen.bins.map((b) => b.count)).toEqual([0, 1, 2, 4, 2]);
    expect(mcts.scores.nodes.count).toBe(12);
    expect(mcts.scores.nodes.mean).toBeCloseTo(67 / 12, 10);
    expect(mcts.scores.nodes.median).toBe(5.5);
    expect(mcts.scores.nodes.bins.map((b) => b.count)).toEqual([0, 2, 4, 4, 2]);
  });

  it("groups counters by prefix without counting a plan's copy twice", () => {
    expect(mcts.counters).toEqual({
      implement: { "implement.retry": 3 },
      length: { "length.truncated": 1 },
      score: {
        "score.bare": 2,
        "score.fallback": 1,
        "score.guided": 4,
        "score.labelled": 5,
        "score.retry": 2,
      },
      step: { "step.regenerated": 2 },
    });
    expect(mcts.scores.parse.forms).toEqual({ labelled: 5, bare: 2, fallback: 1, guided: 4 });
    expect(mcts.scores.parse.fallbackRate).toBeCloseTo(1 / 12, 10);
    expect(mcts.regenerated).toBe(2);
  });

  it("gives usage per plan and per sample", () => {
    expect(mcts.usage.perPlan.calls).toMatchObject({ count: 4, mean: 25, median: 25, p90: 40, sum: 100 });
    expect(mcts.usage.perPlan.promptTokens).toMatchObject({ mean: 1625, median: 1500, p90: 3000 });
    expect(mcts.usage.perPlan.completionTokens).toMatchObject({ mean: 400, median: 400, p90: 700 });
    expect(mcts.usage.perPlan.seconds).toMatchObject({ mean: 16.25, median: 15, p90: 30 });
    expect(mcts.usage.perSample.calls).toMatchObject({ count: 2, mean: 27, median: 27, p90: 33 });
    expect(mcts.usage.callsByRole).toEqual({ evaluate: 40, propose: 31, reflect: 29 });
  });

  it("counts code extraction", () => {
    // Written without code checks: nothing compiled or tested.
    expect(mcts.code).toEqual({
      noCode: 1,
      codeFrom: { fenced: 1, unterminated: 1 },
      compiled: 0,
      compileErrors: 0,
      compileFailures: 0,
      tests: { samples: 0, pass: 0, fail: 0, timeout: 0, passed: 0, total: 0 },
    });
  });

  it("takes counters from plans when a run has no trees", () => {
    expect(cot).toMatchObject({ strategy: "cot", finished: false, regenerated: null });
    expect(cot.counters).toEqual({ length: { "length.truncated": 1 } });
    expect(cot.plans.stopReasons).toEqual({ "single-pass": 2 });
    expect(cot.scores.chosen.count).toBe(0);
    expect(cot.code.codeFrom).toEqual({ bare: 1, fenced: 1 });
  });

  it("is the same fed in any order", () => {
    const fixture = standardRun();
    const a = new RunStatsAccumulator("x");
    const b = new RunStatsAccumulator("x");
    for (const t of fixture.trees!) a.addTree(t);
    for (const p of fixture.plans!) a.addPlan(p);
    for (const s of fixture.samples!) a.addSample(s);
    for (const f of fixture.failures!) a.addFailure(f);
    for (const f of [...fixture.failures!].reverse()) b.addFailure(f);
    for (const s of [...fixture.samples!].reverse()) b.addSample(s);
    for (const p of [...fixture.plans!].reverse()) b.addPlan(p);
    for (const t of [...fixture.trees!].reverse()) b.addTree(t);
    expect(b.result()).toEqual(a.result());
  });

  it("falls back to the samples for model and strategy", () => {
    const acc = new RunStatsAccumulator("bare");
    acc.addSample(makeSample({ id: "a", model: "some/model", strategy: "cot" }));
    acc.addPlan(makePlan({ id: "a", steps: [] }));
    expect(acc.result()).toMatchObject({ model: "some/model", strategy: "mcts" });
  });
});

describe("the table", () => {
  it("puts runs side by side, one column each", () => {
    const text = formatStatsTable([mcts, cot]);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^\s+mcts\s+cot$/);
    const col = lines[0]!.indexOf("cot");
    const row = (label: string) => {
      const line = lines.find((l) => l.startsWith(`  ${label} `));
      expect(line, label).toBeDefined();
      return line!;
    };
    expect(row("done (sample)")).toMatch(/ 2 \(40\.0%\)\s+2 \(100\.0%\)$/);
    expect(row("strategy").slice(col)).toBe("cot");
    expect(row("reached <end>")).toMatch(/2 \(50\.0%\)\s+-$/);
    expect(row("whole plan, not cut off")).toMatch(/-\s+0 \(0\.0%\)$/);
    expect(row("stop: single-pass")).toMatch(/0 \(0\.0%\)\s+2 \(100\.0%\)$/);
    expect(row("steps per plan")).toContain("min 1 / med 2.5 / max 4 (mean 2.50)");
    expect(row("steps = 4")).toMatch(/1\s+25\.0% #{20}\s+0\s+0\.0%$/);
    expect(row("parse fallback rate")).toMatch(/8\.3%\s+-$/);
    expect(row("chosen path: 6-8")).toMatch(/4\s+44\.4% #{20}\s+-$/);
    expect(row("score.labelled")).toMatch(/5\s+-$/);
    expect(row("length.truncated")).toMatch(/1\s+1$/);
    expect(row("LLM calls")).toContain("mean 25 / med 25 / p90 40");
    expect(row("failures by kind")).toContain("llm 1, no-code 1, parse 1, timeout 1");
    expect(row("no-code failures")).toMatch(/1\s+0$/);
    // Sections only once, rows only for step counts that occur.
    expect(lines.filter((l) => l === "plans")).toHaveLength(1);
    expect(lines.some((l) => l.startsWith("  steps = 0 "))).toBe(false);
    expect(lines.some((l) => l.startsWith("  steps = 5 "))).toBe(false);
    // Every row has one cell per run (the table is rectangular).
    for (const r of statsRows([mcts, cot])) if (r.kind === "row") expect(r.values).toHaveLength(2);
  });

  it("prints a single run as one column", () => {
    const text = formatStatsTable([cot]);
    expect(text.split("\n")[0]).toMatch(/^\s+cot$/);
    expect(text).toContain("  steps = 2 ");
  });
});

describe("reading run directories", () => {
  it.each([
    ["a missing directory", "nope", /nope: run directory not found/],
    ["a file", "FILE", /not a directory/],
    ["a directory without run files", "EMPTY", /not a run directory/],
  ])("refuses %s", async (_name, which, message) => {
    const { mkdir, writeFile } = await import("node:fs/promises");
    const target =
      which === "FILE"
        ? path.join(tmp, "a-file")
        : which === "EMPTY"
          ? path.join(tmp, "empty")
          : path.join(tmp, which);
    if (which === "FILE") await writeFile(target, "x");
    if (which === "EMPTY") await mkdir(target, { recursive: true });
    const err = await collectRunStats(target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
  });
});
