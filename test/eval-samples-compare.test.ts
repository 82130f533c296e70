import { describe, expect, it } from "vitest";
import { compareTable, formatCompareMarkdown, formatCompareText } from "../src/eval/compare-table.js";
import type { EvalSummary } from "../src/eval/records.js";
import { formatSample, parseSamples } from "../src/eval/samples-format.js";

describe("evalplus's samples format", () => {
  const prompts: Record<string, string> = { "HumanEval/0": "def f():\n" };
  const promptOf = (id: string) => prompts[id];

  it("reads solution and completion lines, numbering each task's samples in file order", () => {
    const text = [
      JSON.stringify({ task_id: "HumanEval/0", solution: "def f():\n    return 1\n" }),
      "",
      JSON.stringify({ task_id: "HumanEval/0", completion: "    return 2\n", extra: "ignored" }),
      JSON.stringify({ task_id: "Mbpp/2", solution: "x = 1" }),
    ].join("\n");
    expect(parseSamples(text, "s.jsonl", promptOf)).toEqual([
      { taskId: "HumanEval/0", index: 0, solution: "def f():\n    return 1\n" },
      { taskId: "HumanEval/0", index: 1, solution: "def f():\n    return 2\n" },
      { taskId: "Mbpp/2", index: 0, solution: "x = 1" },
    ]);
  });

  it.each([
    { line: "{not json", message: /^s\.jsonl:1: invalid JSON/ },
    { line: "[1]", message: /^s\.jsonl:1: expected a JSON object/ },
    { line: JSON.stringify({ solution: "x" }), message: /^s\.jsonl:1 \(field "task_id"\): missing/ },
    { line: JSON.stringify({ task_id: "HumanEval/0" }), message: /needs "solution".*or "completion"/ },
    { line: JSON.stringify({ task_id: "Nope/1", completion: "x" }), message: /unknown task "Nope\/1"/ },
  ])("names the file, line and field: $line", ({ line, message }) => {
    expect(() => parseSamples(line, "s.jsonl", promptOf)).toThrow(message);
  });

  it("writes lines evalplus reads back (task_id + solution)", () => {
    const line = formatSample({ taskId: "Mbpp/2", index: 3, solution: "def f():\n    pass" });
    expect(JSON.parse(line)).toEqual({ task_id: "Mbpp/2", solution: "def f():\n    pass", index: 3 });
    expect(parseSamples(line, "ours.jsonl", promptOf)).toEqual([
      { taskId: "Mbpp/2", index: 0, solution: "def f():\n    pass" },
    ]);
  });
});

function summary(
  benchmark: string,
  base: Record<string, number>,
  plus?: Record<string, number>,
): EvalSummary {
  return {
    benchmark,
    file: `${benchmark}.jsonl`,
    sha256: "0",
    tasks: 1,
    samples: 1,
    n: { min: 10, max: 10 },
    pass_at_k: plus ? { base, plus } : { base },
    counts: { base: { pass: 0, fail: 0, timeout: 0 } },
    solved: { base: [] },
    missing_tasks: [],
    unknown_tasks: [],
    canonical_failures: [],
    timings: {
      wall_seconds: 0,
      checks: 0,
      executed: 0,
      check_seconds: 0,
      checks_per_second: 0,
      expected_seconds: 0,
    },
  };
}

describe("sra eval compare: the paper's Table 1 layout", () => {
  const runs = [
    {
      label: "evals/instruct",
      summaries: [
        summary("mbpp-plus", { "1": 0.5, "10": 0.7 }, { "1": 0.4, "10": 0.6 }),
        summary("humaneval-plus", { "1": 0.3, "10": 0.5 }, { "1": 0.25, "10": 0.45 }),
      ],
    },
    {
      label: "evals/sra",
      summaries: [
        summary("mbpp-plus", { "1": 0.56, "10": 0.75 }, { "1": 0.46, "10": 0.66 }),
        summary("humaneval-plus", { "1": 0.36, "10": 0.5 }, { "1": 0.28, "10": 0.5 }),
      ],
    },
    // A run with only the original MBPP: its MBPP column comes from it, the rest is missing.
    { label: "evals/mbpp-only", summaries: [summary("mbpp", { "1": 0.52 })] },
  ];

  it("reads each column from the right benchmark and averages the increment over shared columns", () => {
    const table = compareTable(runs);
    expect(table.columns).toEqual([
      "MBPP",
      "MBPP+",
      "MBPP+ pass@10",
      "HumanEval",
      "HumanEval+",
      "HumanEval+ pass@10",
      "Avg. increment",
    ]);
    expect(table.rows[0]?.values.map((v) => v?.toFixed(1))).toEqual([
      "50.0",
      "40.0",
      "60.0",
      "30.0",
      "25.0",
      "45.0",
    ]);
    expect(table.rows[0]?.increment).toBeUndefined();
    // (6 + 6 + 6 + 6 + 3 + 5) / 6 points
    expect(table.rows[1]?.increment).toBeCloseTo(32 / 6, 10);
    expect(table.rows[2]?.values.map((v) => v?.toFixed(1))).toEqual([
      "52.0",
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(table.rows[2]?.increment).toBeCloseTo(2, 10);
  });

  it("prints as aligned text and as markdown", () => {
    const table = compareTable(runs.slice(0, 2));
    expect(formatCompareText(table).split("\n")).toEqual([
      "run             MBPP  MBPP+  MBPP+ pass@10  HumanEval  HumanEval+  HumanEval+ pass@10  Avg. increment",
      "evals/instruct  50.0   40.0           60.0       30.0        25.0                45.0               -",
      "evals/sra       56.0   46.0           66.0       36.0        28.0                50.0            +5.3",
    ]);
    expect(formatCompareMarkdown(table).split("\n")[1]).toBe(
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    expect(formatCompareMarkdown(table).split("\n")[3]).toBe(
      "| evals/sra | 56.0 | 46.0 | 66.0 | 36.0 | 28.0 | 50.0 | +5.3 |",
    );
  });
});
