/**
 * Example inputs from problem statements (src/problems/example-inputs.ts): the forms HumanEval's
 * docstrings use, LeetCode's `Input:` lines, APPS's stdin examples, and how much of HumanEval they cover.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { extractExampleInputs } from "../src/problems/example-inputs.js";
import { DATASETS } from "./support/cli.js";

const fn = (body: string) => `def f(a, b=0):\n    """Add.\n${body}\n    """\n`;

describe("extractExampleInputs", () => {
  it.each([
    ["doctest", fn("    >>> f(1, 2)\n    3\n    >>> f([1, (2, 3)])"), ["f(1, 2)", "f([1, (2, 3)])"]],
    ["== and ➞", fn("    f(1) == 1\n    f(2) ➞ 2\n    f(3) => 3"), ["f(1)", "f(2)", "f(3)"]],
    ["= and # =>", fn('    f("a(") = 1\n    f(4) # => 4'), ['f("a(")', "f(4)"]],
    [
      "assert / for / print(",
      fn("    assert f(5) == 5\n    for f(6) == 6\n    print(f(7)) # 7"),
      ["f(5)", "f(6)", "f(7)"],
    ],
    ["Input: with names", fn("    Input: a = 1, b = [2]\n    Output: 3"), ["f(a = 1, b = [2])"]],
    ["a call in prose is not an example", fn("    Call f(1) to add, then f(2) for more."), null],
    ["duplicates once", fn("    >>> f(1)\n    >>> f(1)"), ["f(1)"]],
  ])("%s", (_name, question, calls) => {
    const got = extractExampleInputs(question);
    expect(got === null ? null : got.kind === "calls" ? got.calls : got.inputs).toEqual(calls);
  });

  it("takes the entry point from fnName, else the last function the statement defines", () => {
    const q =
      "def helper(x):\n    pass\n\ndef main(x):\n    '''Main.\n    >>> main(1)\n    >>> helper(2)\n    '''";
    expect(extractExampleInputs(q)).toEqual({
      kind: "calls",
      fnName: "main",
      calls: ["main(1)", "helper(2)"],
    });
    expect(extractExampleInputs("Return x.\nInput: x = 3\nOutput: 3", { fnName: "solve" })).toEqual({
      kind: "calls",
      fnName: "solve",
      calls: ["solve(x = 3)"],
    });
  });

  it("APPS and Codeforces stdin examples, not the format's -----Input----- header", () => {
    const q = [
      "Count the pairs.",
      "-----Input-----",
      "The first line holds n.",
      "-----Output-----",
      "Print the count.",
      "-----Examples-----",
      "Input",
      "3",
      "1 2 3",
      "",
      "Output",
      "2",
      "Sample Input 2",
      "1",
      "5",
      "Sample Output 2",
      "0",
      "Input",
      "7",
    ].join("\n");
    expect(extractExampleInputs(q)).toEqual({ kind: "stdin", inputs: ["3\n1 2 3\n", "1\n5\n"] });
    expect(extractExampleInputs("Return the sum of a list.")).toBeNull();
  });

  it("finds runnable examples in 138 of HumanEval's 164 prompts, each a call of the entry point", () => {
    const file = path.join(DATASETS, "HumanEval.jsonl.gz");
    const tasks = gunzipSync(readFileSync(file))
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { prompt: string; entry_point: string });
    const found = tasks.map((t) => extractExampleInputs(t.prompt)).filter((e) => e !== null);
    expect(found).toHaveLength(138);
    for (const e of found) expect(e.kind).toBe("calls");
    const entry = tasks.filter((t) => {
      const e = extractExampleInputs(t.prompt);
      return e?.kind === "calls" && e.fnName === t.entry_point;
    });
    expect(entry).toHaveLength(138);
  });
});
