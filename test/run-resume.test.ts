import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  clearFailures,
  dropOrphanTrees,
  type ResumeState,
  readResumeState,
  todoFor,
} from "../src/run/resume.js";
import { computeRunTotals } from "../src/run-dir/read-run.js";
import { lineId, readIds } from "../src/run-dir/records.js";
import { makePlan, makeSample } from "./support/run-fixture.js";

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-resume-"));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const lines = (records: unknown[]) => records.map((r) => `${JSON.stringify(r)}\n`).join("");

describe("lineId", () => {
  it.each([
    ['{"id":"a","x":1}', "a"],
    ['{"id":"with \\"quote\\"","x":1}', 'with "quote"'],
    ['{"x":1,"id":"late"}', "late"],
    ['{"id":7}', undefined],
    ["not json", undefined],
    ['{"id":"torn","code":"def f(', "torn"],
  ])("%s -> %s", (text, id) => expect(lineId(text)).toBe(id));

  it("a whole-line check refuses a torn line whose id survived", () => {
    expect(lineId('{"id":"torn","code":"def f(', { whole: true })).toBeUndefined();
  });
});

describe("resume state", () => {
  it("reads ids, ignores a torn tail, and repairs it", async () => {
    const samples = path.join(dir, "samples.jsonl");
    await fsp.writeFile(samples, `${lines([{ id: "a" }, { id: "b" }])}{"id":"c","code":"x`);
    const state = await readResumeState(dir);
    expect([...state.sampleIds]).toEqual(["a", "b"]);
    expect(await fsp.readFile(samples, "utf8")).toBe(lines([{ id: "a" }, { id: "b" }]));
  });

  it("a complete last line without its newline is still torn (never finished)", async () => {
    await fsp.writeFile(path.join(dir, "plans.jsonl"), `${lines([{ id: "a" }])}{"id":"b"}`);
    const state = await readResumeState(dir);
    expect([...state.planIds]).toEqual(["a"]);
  });

  it("a damaged line in the middle is an error naming file:line", async () => {
    const file = path.join(dir, "samples.jsonl");
    await fsp.writeFile(file, `${lines([{ id: "a" }])}garbage\n${lines([{ id: "b" }])}`);
    await expect(readIds(file)).rejects.toThrow(/samples\.jsonl:2/);
  });

  it("drops orphan trees only, and only rewrites when needed", async () => {
    const trees = path.join(dir, "trees.jsonl");
    await fsp.writeFile(trees, lines([{ id: "a", n: 1 }, { id: "orphan" }, { id: "b" }]));
    expect(await dropOrphanTrees(dir, (id) => id !== "orphan")).toBe(1);
    expect(await fsp.readFile(trees, "utf8")).toBe(lines([{ id: "a", n: 1 }, { id: "b" }]));
    const stat = await fsp.stat(trees);
    expect(await dropOrphanTrees(dir, () => true)).toBe(0);
    expect((await fsp.stat(trees)).mtimeMs).toBe(stat.mtimeMs);
  });

  it("clears only the failures that are retried", async () => {
    const file = path.join(dir, "failures.jsonl");
    await fsp.writeFile(
      file,
      lines([
        { id: "a", stage: "plans", kind: "llm-500", error: "x" },
        { id: "b", stage: "code", kind: "no-code", error: "y" },
      ]),
    );
    expect(await clearFailures(dir, (f) => f.stage === "code")).toBe(1);
    const state = await readResumeState(dir);
    expect([...state.failures.entries()]).toEqual([["a", "plans"]]);
  });
});

describe("todoFor", () => {
  const state: ResumeState = {
    sampleIds: new Set(["done"]),
    planIds: new Set(["done", "planned", "planned-failed"]),
    failures: new Map([
      ["failed-search", "plans"],
      ["planned-failed", "code"],
    ]),
  };
  it.each([
    ["done", "all", false, "done"],
    ["new", "all", false, "search"],
    ["planned", "all", false, "code"],
    ["failed-search", "all", false, "failed"],
    ["failed-search", "all", true, "search"],
    ["planned-failed", "all", true, "code"],
    ["planned-failed", "plans", true, "done"],
    ["new", "plans", false, "search"],
    ["planned", "plans", false, "done"],
    ["planned", "code", false, "code"],
    ["new", "code", false, "no-plan"],
    ["failed-search", "code", true, "failed"],
  ] as const)("%s with --stage %s, retry %s -> %s", (id, stage, retry, want) => {
    expect(todoFor(id, stage, state, retry)).toBe(want);
  });
});

describe("run totals", () => {
  it("sums samples, counts plans, and counts failures without a sample", async () => {
    await fsp.writeFile(
      path.join(dir, "samples.jsonl"),
      lines([
        // Complete records (the totals read them through the record schemas).
        makeSample({ id: "a", calls: 10, promptTokens: 100, completionTokens: 10, seconds: 2 }),
        makeSample({ id: "b", calls: 20, promptTokens: 300, completionTokens: 30, seconds: 4 }),
      ]),
    );
    await fsp.writeFile(
      path.join(dir, "plans.jsonl"),
      lines([
        makePlan({ id: "a", steps: ["x", "y"], reachedEnd: true, stopReason: "end" }),
        makePlan({ id: "b", steps: ["x"], reachedEnd: false, stopReason: "iterations" }),
        makePlan({ id: "c", steps: ["x", "y", "z"], reachedEnd: true, stopReason: "end" }),
      ]),
    );
    await fsp.writeFile(
      path.join(dir, "failures.jsonl"),
      lines([
        { id: "a", stage: "code", kind: "no-code", error: "old" },
        { id: "c", stage: "code", kind: "no-code", error: "x" },
      ]),
    );
    const t = await computeRunTotals(dir);
    expect(t).toMatchObject({
      samples: 2,
      plans: 3,
      failures: 1,
      calls: 30,
      meanCalls: 15,
      meanTokens: 220,
      meanSeconds: 3,
      reachedEndRate: 0.667,
      meanSteps: 2,
      stopReasons: { end: 2, iterations: 1 },
    });
  });
});
