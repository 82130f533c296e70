/** evaluateSamples on a small benchmark of our own: results, pass@k, counts, reuse, canonical failures. */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EvalBenchmark, loadEvalBenchmark } from "../src/benchmarks/eval-tasks.js";
import { type ExpectedOutputs, prepareExpected } from "../src/benchmarks/expected.js";
import { type EvalSample, evaluateSamples } from "../src/eval/evaluate.js";
import { EvalResultSchema, EvalSummarySchema } from "../src/eval/records.js";
import { Executor } from "../src/execute/executor.js";

let tmp: string;
let ex: Executor;
let bench: EvalBenchmark;
let expected: ExpectedOutputs;

const task = (id: string, body: string, base: unknown[], plus: unknown[]) => ({
  task_id: id,
  prompt: `def f(x):\n    """${id}"""\n`,
  entry_point: "f",
  canonical_solution: body,
  base_input: base,
  plus_input: plus,
  atol: 0,
});

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-evaluate-"));
  ex = await Executor.start({ workers: 2 });
  const file = path.join(tmp, "mine.jsonl");
  const tasks = [
    task("t/double", "    return 2 * x\n", [[1], [2]], [[10], [-3]]),
    task("t/inc", "    return x + 1\n", [[1]], [[5]]),
    // The canonical solution fails on its second plus input: the task cannot be scored on plus.
    task("t/broken", "    return 10 // x\n", [[1]], [[2], [0]]),
    task("t/unsampled", "    return x\n", [[1]], [[2]]),
  ];
  await fsp.writeFile(file, tasks.map((t) => JSON.stringify(t)).join("\n"));
  bench = await loadEvalBenchmark(file, {
    dirs: [],
    cacheDir: tmp,
    baseUrl: undefined,
    notify: () => undefined,
  });
  expected = await prepareExpected(bench, ex, { cacheDir: path.join(tmp, "cache") });
});
afterAll(async () => {
  await ex?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

const fn = (body: string) => `def f(x):\n    return ${body}\n`;

describe("evaluateSamples", () => {
  it("scores base and plus, pass@k per task, counts, solved tasks, and reuses identical samples", async () => {
    const samples: EvalSample[] = [
      { taskId: "t/double", index: 0, solution: fn("2 * x") },
      { taskId: "t/double", index: 1, solution: fn("x + x if x > 0 else 0") }, // base passes, plus fails
      { taskId: "t/double", index: 2, solution: fn("2 * x") }, // same code as sample 0
      { taskId: "t/inc", index: 0, solution: fn("x") },
      { taskId: "t/inc", index: 1, solution: fn("x + 1") },
      { taskId: "t/inc", index: 2, solution: fn("x + 1.0") },
      { taskId: "t/broken", index: 0, solution: fn("10 // x") },
      { taskId: "t/broken", index: 1, solution: fn("10 // x") },
      { taskId: "t/broken", index: 2, solution: fn("10 // x") },
      { taskId: "t/nope", index: 0, solution: fn("x") },
    ];
    const progress: number[] = [];
    const { results, summary } = await evaluateSamples({
      benchmark: bench,
      expected,
      executor: ex,
      samples,
      onProgress: (done, total) => progress.push(done * 100 + total),
    });
    expect(results.map((r) => [r.task_id, r.index, r.base_status, r.plus_status, r.reused_from])).toEqual([
      ["t/double", 0, "pass", "pass", undefined],
      ["t/double", 1, "pass", "fail", undefined],
      ["t/double", 2, "pass", "pass", 0],
      ["t/inc", 0, "fail", "fail", undefined],
      ["t/inc", 1, "pass", "pass", undefined],
      ["t/inc", 2, "pass", "pass", undefined],
      ["t/broken", 0, "pass", "fail", undefined],
      ["t/broken", 1, "pass", "fail", 0],
      ["t/broken", 2, "pass", "fail", 0],
    ]);
    expect(results[6]?.plus?.failure?.reason).toMatch(
      /the canonical solution failed: ZeroDivisionError.*\(input 1\)/,
    );
    expect(results[1]?.plus?.failure).toMatchObject({ index: 1, input: "[-3]", expected: "-6", actual: "0" });
    for (const r of results) EvalResultSchema.parse(r);
    EvalSummarySchema.parse(summary);
    expect(progress).toEqual([109, 209, 309, 409, 509, 609, 709, 809, 909]);
    // base: double 3/3, inc 2/3, broken 3/3; plus: double 2/3, inc 2/3, broken 0/3
    expect(summary.pass_at_k.base["1"]).toBeCloseTo((1 + 2 / 3 + 1) / 3, 12);
    expect(summary.pass_at_k.plus?.["1"]).toBeCloseTo((2 / 3 + 2 / 3 + 0) / 3, 12);
    expect(Object.keys(summary.pass_at_k.base)).toEqual(["1"]);
    expect(summary).toMatchObject({
      tasks: 3,
      samples: 9,
      n: { min: 3, max: 3 },
      counts: { base: { pass: 8, fail: 1, timeout: 0 }, plus: { pass: 4, fail: 5, timeout: 0 } },
      solved: { base: ["t/double", "t/inc", "t/broken"], plus: ["t/double", "t/inc"] },
      missing_tasks: ["t/unsampled"],
      unknown_tasks: ["t/nope"],
      canonical_failures: ["t/broken"],
      timings: { checks: 18, executed: 6 },
    });
  });

  it("with reuse off, every sample runs", async () => {
    const samples = [0, 1].map((index) => ({ taskId: "t/inc", index, solution: fn("x + 1") }));
    const { results, summary } = await evaluateSamples({
      benchmark: bench,
      expected,
      executor: ex,
      samples,
      reuseIdentical: false,
    });
    expect(results.map((r) => r.reused_from)).toEqual([undefined, undefined]);
    expect(summary.timings.executed).toBe(2);
  });
});
