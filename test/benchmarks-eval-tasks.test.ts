import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calledFunction, loadEvalBenchmark } from "../src/benchmarks/eval-tasks.js";
import type { DatasetSources } from "../src/benchmarks/files.js";
import { rawArrayLength, rawFields } from "../src/util/raw-json.js";
import { DATASETS } from "./support/cli.js";

let tmp: string;
const sources = (): DatasetSources => ({
  dirs: [DATASETS],
  cacheDir: path.join(tmp, "cache"),
  baseUrl: "http://127.0.0.1:9/never",
  notify: () => undefined,
});

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-eval-tasks-"));
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe("built-in benchmarks for eval (found in ../shared/datasets as decontaminate finds them)", () => {
  it("humaneval: 164 tasks tested by their check(candidate)", async () => {
    const b = await loadEvalBenchmark("humaneval", sources());
    expect(b.tasks).toHaveLength(164);
    expect(b.hasPlus).toBe(false);
    const t = b.tasks[0]!;
    expect(t.entryPoint).toBe("has_close_elements");
    expect(t.tests).toMatchObject({ kind: "asserts", checkFunction: "check" });
    expect(t.canonical?.startsWith(t.prompt)).toBe(true);
  });

  it("humaneval-plus: 164 tasks with base and plus inputs, HumanEval/32 with its atol and oracle", async () => {
    const b = await loadEvalBenchmark("humaneval-plus", sources());
    expect(b.tasks).toHaveLength(164);
    expect(b.hasPlus).toBe(true);
    const t32 = b.tasks[32]!;
    expect(t32.entryPoint).toBe("find_zero");
    expect(t32.tests).toMatchObject({
      kind: "evalplus",
      atol: 0.0001,
      oracle: "humaneval",
      inputsRule: undefined,
    });
    const counts = b.tasks.map((t) =>
      t.tests.kind === "evalplus" ? t.tests.baseCount + t.tests.plusCount : 0,
    );
    expect(counts.reduce((a, n) => a + n, 0)).toBe(124253);
  });

  it("mbpp: the test split, tasks 11-510, with their three asserts and the called function", async () => {
    const b = await loadEvalBenchmark("mbpp", sources());
    expect(b.tasks).toHaveLength(500);
    expect([b.tasks[0]?.taskId, b.tasks.at(-1)?.taskId]).toEqual(["11", "510"]);
    expect(b.tasks[0]).toMatchObject({
      entryPoint: "remove_Occ",
      tests: { kind: "asserts", checkFunction: undefined },
    });
    expect(b.tasks[0]?.examples).toHaveLength(3);
  });

  it("mbpp-plus: 399 tasks, MBPP+'s argument fix-ups by task number, Mbpp/793's empty plus_input", async () => {
    const b = await loadEvalBenchmark("mbpp-plus", sources());
    expect(b.tasks).toHaveLength(399);
    expect(b.tasks[0]?.tests).toMatchObject({ kind: "evalplus", oracle: "mbpp", inputsRule: "mbpp:2" });
    const t793 = b.tasks.find((t) => t.taskId === "Mbpp/793")!;
    expect(t793.tests).toMatchObject({ plusInputs: "[]", plusCount: 0 });
  });

  it.each([
    ['assert remove_Occ("hello","l") == "heo"', "remove_Occ"],
    ["assert math.isclose(area(2), 12.56, rel_tol=0.001)", "area"],
    ["assert set(similar((3, 4), (4, 5))) == set((4,))", "similar"],
    ["assert not is_prime(4)", "is_prime"],
  ])("the function an MBPP test calls: %s -> %s", (test, name) => {
    expect(calledFunction(test)).toBe(name);
  });
});

describe("raw JSON: test inputs reach Python untouched", () => {
  it("slices fields without reading numbers", () => {
    const text =
      '{"a": [1e400, NaN, -Infinity, 123456789012345678901234567890], "s": "x,}]", "b": {"k": [1, {"z": 2}]}}';
    const raw = rawFields(text, ["a", "b"]);
    expect(raw.get("a")).toBe("[1e400, NaN, -Infinity, 123456789012345678901234567890]");
    expect(raw.get("b")).toBe('{"k": [1, {"z": 2}]}');
    expect(rawArrayLength(raw.get("a")!)).toBe(4);
    expect(rawArrayLength("[ ]")).toBe(0);
    expect(rawArrayLength('[["a,b"], [1, 2], "]"]')).toBe(3);
  });
});

describe("your own benchmark files", () => {
  async function file(name: string, records: unknown[]): Promise<string> {
    const p = path.join(tmp, name);
    await fsp.writeFile(p, records.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n"));
    return p;
  }

  it("reads EvalPlus, APPS, MBPP and HumanEval shapes", async () => {
    const p = await file("mixed.jsonl", [
      {
        task_id: "my/1",
        prompt: "def f(x):\n",
        entry_point: "f",
        canonical_solution: "    return x\n",
        base_input: [[1]],
        plus_input: [[2], [3]],
        atol: 0,
      },
      {
        problem_id: 7,
        question: "Add two numbers.",
        input_output: JSON.stringify({ inputs: ["1 2\n"], outputs: ["3\n"] }),
        difficulty: "introductory",
      },
      {
        task_id: 9,
        text: "Double it.",
        code: "def d(x):\n    return 2 * x",
        test_list: ["assert d(2) == 4"],
        test_setup_code: "",
      },
      {
        task_id: "he/1",
        prompt: "def g():\n",
        canonical_solution: "    return 1\n",
        entry_point: "g",
        test: "def check(candidate):\n    assert candidate() == 1\n",
      },
    ]);
    const b = await loadEvalBenchmark(p, sources());
    expect(b.origin).toBe("user");
    expect(b.tasks.map((t) => [t.taskId, t.tests.kind])).toEqual([
      ["my/1", "evalplus"],
      ["7", "apps"],
      ["9", "asserts"],
      ["he/1", "asserts"],
    ]);
    expect(b.tasks[0]?.tests).toMatchObject({
      oracle: null,
      baseCount: 1,
      plusCount: 2,
      plusInputs: "[[2],[3]]",
    });
    expect(b.tasks[1]).toMatchObject({
      difficulty: "introductory",
      tests: { inputs: '["1 2\\n"]', count: 1, fnName: undefined },
    });
    expect(b.tasks[2]?.entryPoint).toBe("d");
  });

  it.each([
    {
      name: "no tests",
      records: [{ task_id: "a", prompt: "x" }],
      message: /bad\.jsonl:1: no tests in this task/,
    },
    { name: "invalid JSON", records: ['{"task_id": "a"', "x"], message: /bad\.jsonl:1: invalid JSON/ },
    {
      name: "a field of the wrong type",
      records: [{ task_id: "a", prompt: 1, entry_point: "f", canonical_solution: "", base_input: [] }],
      message: /bad\.jsonl:1 \(field "prompt"\): missing or not a string/,
    },
    {
      name: "APPS outputs that do not match the inputs",
      records: [{ input_output: { inputs: ["1"], outputs: [] } }],
      message: /bad\.jsonl:1 \(field "input_output"\): inputs and outputs differ in length/,
    },
    {
      name: "a repeated task id",
      records: [
        { task_id: "a", test_list: ["assert f() == 1"] },
        { task_id: "a", test_list: ["assert f() == 1"] },
      ],
      message: /task id "a" appears twice/,
    },
  ])("names the file, line and field: $name", async ({ records, message }) => {
    const p = await file("bad.jsonl", records);
    await expect(loadEvalBenchmark(p, sources())).rejects.toThrow(message);
  });

  it("an unknown name or a missing file says what to give", async () => {
    await expect(loadEvalBenchmark("humaneval-pro", sources())).rejects.toMatchObject({
      message: 'unknown benchmark "humaneval-pro"',
      hint: expect.stringContaining("humaneval, humaneval-plus, mbpp, mbpp-plus"),
    });
    await expect(loadEvalBenchmark(path.join(tmp, "none.jsonl"), sources())).rejects.toThrow(
      /benchmark file not found/,
    );
  });
});
