/**
 * The search's code roles over the real executor (src/run/search-checks.ts, CodeChecker.runExamples,
 * src/problems/example-program.ts): which roles a problem gets, and what the ExampleRunner returns for
 * code that returns, prints, raises, reads stdin in a main block, or defines a LeetCode `Solution`.
 */
import { afterAll, describe, expect, it } from "vitest";
import { callsProgram, EXAMPLE_OUTPUTS_MARK, parseCallOutputs } from "../src/problems/example-program.js";
import { executorChecker } from "../src/run/code-checks.js";
import { searchChecks } from "../src/run/search-checks.js";
import type { ProblemTests } from "../src/types.js";

const checker = executorChecker({ python: "python3", workers: 1 });
afterAll(() => checker.close());

const DOCTEST = 'def inc(x):\n    """\n    >>> inc(1)\n    2\n    >>> inc(-5)\n    -4\n    """\n';
const STDIN =
  "Print the sum.\n\nSample Input\n1 2\n\nSample Output\n3\n\nSample Input 2\n5 5\n\nSample Output 2\n10\n";
const ASSERTS: ProblemTests = { kind: "asserts", tests: ["assert inc(1) == 2"], setup: "" };

describe("searchChecks: the roles a problem offers its search", () => {
  it.each([
    ["tests and example calls", { question: DOCTEST, tests: ASSERTS }, true, true],
    ["tests only", { question: "Write inc(x).", tests: ASSERTS }, true, false],
    ["example stdin only", { question: STDIN }, false, true],
    ["neither", { question: "Write inc(x)." }, false, false],
  ])("%s", (_name, problem, verifier, runner) => {
    const checks = searchChecks(checker, problem);
    if (!verifier && !runner) return expect(checks).toBeUndefined();
    expect(checks?.verifier !== undefined).toBe(verifier);
    expect(checks?.runner !== undefined).toBe(runner);
  });

  it("the verifier runs the problem's tests in the executor", async () => {
    const { verifier } = searchChecks(checker, { question: DOCTEST, tests: ASSERTS }) ?? {};
    expect(await verifier?.verify({ code: "def inc(x):\n    return x + 1" })).toEqual({
      status: "pass",
      passed: 1,
      total: 1,
    });
    expect(await verifier?.verify({ code: "def inc(x):\n    return x" })).toMatchObject({
      status: "fail",
      passed: 0,
    });
  }, 30_000);
});

describe("the ExampleRunner over the executor", () => {
  const calls = searchChecks(checker, { question: DOCTEST })?.runner;
  const stdin = searchChecks(checker, { question: STDIN })?.runner;
  it.each([
    ["returns", "def inc(x):\n    return x + 1", ["2", "-4"]],
    ["prints too (before the outputs' line)", "def inc(x):\n    print('hi')\n    return x + 1", ["2", "-4"]],
    [
      "raises on one call",
      "def inc(x):\n    if x < 0:\n        raise ValueError(x)\n    return x + 1",
      ["2", null],
    ],
    [
      "a main block that reads stdin is not run",
      "def inc(x):\n    return x + 1\nif __name__ == '__main__':\n    input()",
      ["2", "-4"],
    ],
    ["a Solution class", "class Solution:\n    def inc(self, x):\n        return x + 1", ["2", "-4"]],
    ["does not define it", "def other(x):\n    return x", [null, null]],
    ["does not compile", "def inc(x:\n    return x", [null, null]],
  ])(
    "calls: code that %s",
    async (_name, code, outputs) => {
      expect(await calls?.run({ code })).toEqual({ outputs });
    },
    30_000,
  );

  it.each([
    ["prints the sum", "a, b = map(int, input().split())\nprint(a + b)", ["3\n", "10\n"]],
    [
      "raises on the second input",
      "a, b = map(int, input().split())\nassert a != 5\nprint(a + b)",
      ["3\n", null],
    ],
    ["does not compile", "print(", [null, null]],
  ])(
    "stdin: code that %s",
    async (_name, code, outputs) => {
      expect(await stdin?.run({ code })).toEqual({ outputs });
    },
    30_000,
  );
});

describe("callsProgram / parseCallOutputs (pure)", () => {
  it("embeds the code and the calls as string literals, whatever they hold", () => {
    const program = callsProgram('s = "\\"quoted\\"\\n"', {
      kind: "calls",
      fnName: "f",
      calls: ['f("a\'b")'],
    });
    expect(program).toContain(JSON.stringify('s = "\\"quoted\\"\\n"'));
    expect(program).toContain(JSON.stringify(['f("a\'b")']));
  });

  it.each([
    ["the last marked line", `noise\n${EXAMPLE_OUTPUTS_MARK}["1", null]\n`, 2, ["1", null]],
    [
      "a code that printed a fake mark first",
      `\n${EXAMPLE_OUTPUTS_MARK}["x"]\n${EXAMPLE_OUTPUTS_MARK}["1", "2"]\n`,
      2,
      ["1", "2"],
    ],
    ["no mark (the run timed out)", "partial output", 2, [null, null]],
    ["a wrong count", `\n${EXAMPLE_OUTPUTS_MARK}["1"]\n`, 2, [null, null]],
    ["not JSON", `\n${EXAMPLE_OUTPUTS_MARK}[1,\n`, 1, [null]],
    ["no stdout", null, 1, [null]],
  ])("reads %s", (_name, stdout, count, outputs) => {
    expect(parseCallOutputs(stdout, count)).toEqual(outputs);
  });
});
