/**
 * The tests a problem may carry (src/problems/problem-tests.ts), read for generate's code checks, and
 * the question the implement prompt shows: hand-written records, table-driven.
 */
import { describe, expect, it } from "vitest";
import { InputError } from "../src/errors.js";
import { implementQuestion, readProblemTests } from "../src/problems/problem-tests.js";
import type { ProblemTests } from "../src/types.js";

const at = (field: string) => ({ file: "p.jsonl", line: 3, field });
const read = (record: Record<string, unknown>) => readProblemTests(record, JSON.stringify(record), at);

describe("readProblemTests", () => {
  it.each<[string, Record<string, unknown>, ProblemTests | undefined]>([
    ["no tests", { question: "q" }, undefined],
    ["an empty list", { tests: [] }, undefined],
    ["asserts", { tests: ["assert f(1) == 2"] }, { kind: "asserts", tests: ["assert f(1) == 2"], setup: "" }],
    [
      "MBPP's names",
      { test_list: ["assert f(1) == 2"], test_setup_code: "import math" },
      { kind: "asserts", tests: ["assert f(1) == 2"], setup: "import math" },
    ],
    [
      "APPS as a string, numbers kept as written",
      { input_output: '{"inputs": [[1.10]], "outputs": [[2.20]], "fn_name": "f"}' },
      { kind: "io", inputs: "[[1.10]]", outputs: "[[2.20]]", count: 1, fnName: "f" },
    ],
    [
      "APPS as an object",
      { input_output: { inputs: ["1 2\n"], outputs: ["3\n"] } },
      { kind: "io", inputs: '["1 2\\n"]', outputs: '["3\\n"]', count: 1, fnName: undefined },
    ],
  ])("%s", (_name, record, expected) => {
    expect(read(record)).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    [
      "tests and input_output",
      { tests: ["assert f()"], input_output: { inputs: [], outputs: [] } },
      "input_output",
      "either tests or input_output",
    ],
    ["a string of tests", { tests: "assert f()" }, "tests", "expected a list of assert statements"],
    ["a blank test", { tests: ["assert f()", "  "] }, "tests", "expected a list of assert statements"],
    [
      "setup not a string",
      { tests: ["assert f()"], setup: ["x"] },
      "setup",
      "expected a string of Python code",
    ],
    ["setup without tests", { setup: "import math" }, "setup", "setup code without tests"],
    [
      "fn_name not a string",
      { input_output: { inputs: [], outputs: [], fn_name: 3 } },
      "input_output",
      "fn_name must be a string",
    ],
    ["not JSON", { input_output: "{inputs: " }, "input_output", "not JSON"],
  ])("%s: an InputError naming the field", (_name, record, field, message) => {
    const e = read(record);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toContain(message);
    expect((e as InputError).location).toMatchObject({ file: "p.jsonl", line: 3, field });
  });
});

describe("implementQuestion", () => {
  const asserts = (tests: string[], setup = ""): ProblemTests => ({ kind: "asserts", tests, setup });
  it.each<[string, string, ProblemTests | undefined, string]>([
    ["no tests", "Write f.", undefined, "Write f."],
    [
      "the question names the function",
      "Write add_one(x).",
      asserts(["assert add_one(1) == 2"]),
      "Write add_one(x).",
    ],
    [
      "it does not: the first test is shown",
      "Write a function to add one.",
      asserts(["assert add_one(1) == 2", "assert add_one(2) == 3"]),
      "Write a function to add one.\n\nYour code should pass this test:\n```python\nassert add_one(1) == 2\n```",
    ],
    [
      "with its setup",
      "Add one.",
      asserts(["assert add_one(1) == 2"], "import math\n"),
      "Add one.\n\nYour code should pass this test:\n```python\nimport math\nassert add_one(1) == 2\n```",
    ],
    [
      "a name inside a longer word is not named",
      "Write add_ones.",
      asserts(["assert add_one(1) == 2"]),
      "Write add_ones.\n\nYour code should pass this test:\n```python\nassert add_one(1) == 2\n```",
    ],
    [
      "APPS fn_name not named",
      "Sum two numbers.",
      { kind: "io", inputs: "[]", outputs: "[]", count: 0, fnName: "total" },
      "Sum two numbers.\n\nThe tests call `total`.",
    ],
    [
      "stdin tests: nothing to name",
      "Read n.",
      { kind: "io", inputs: "[]", outputs: "[]", count: 0, fnName: undefined },
      "Read n.",
    ],
  ])("%s", (_name, question, tests, expected) => {
    expect(implementQuestion(question, tests)).toBe(expected);
  });
});
