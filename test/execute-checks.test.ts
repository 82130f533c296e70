/**
 * The executor's checks through real processes: evalplus's comparison rules on small inline tasks
 * (expected values recorded from a "canonical" function, as for the benchmarks), assert tests,
 * stdin/stdout and call-based APPS tests, compile checks, and the executor's own start-up paths.
 */
import { existsSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PythonNotFoundError } from "../src/errors.js";
import { Executor } from "../src/execute/executor.js";
import { harnessMain } from "../src/execute/harness-process.js";
import { findPython } from "../src/execute/python.js";
import type { Oracle } from "../src/execute/types.js";
import { ROOT } from "./support/cli.js";

let ex: Executor;
beforeAll(async () => {
  ex = await Executor.start({ workers: 2 });
});
afterAll(async () => {
  await ex?.close();
});

interface RuleCase {
  name: string;
  /** The canonical function body's module; the sample's. Both define `f` unless `entry` says. */
  canonical: string;
  sample: string;
  inputs?: string;
  atol?: number;
  oracle?: Oracle;
  entry?: string;
  inputsRule?: string;
  status: "pass" | "fail";
  reason?: RegExp;
}

async function judgeRule(c: RuleCase) {
  const entryPoint = c.entry ?? "f";
  const inputs = c.inputs ?? "[[1]]";
  const rule = c.inputsRule ? { inputsRule: c.inputsRule } : {};
  const recorded = await ex.recordFunction({
    code: c.canonical,
    entryPoint,
    inputs,
    oracle: c.oracle ?? null,
    ...rule,
  });
  expect(recorded.failure).toBeUndefined();
  return ex.checkFunction({
    code: c.sample,
    entryPoint,
    inputs,
    expected: recorded.outputs,
    timeLimit: 4,
    deadlineSeconds: 10,
    atol: c.atol ?? 0,
    oracle: c.oracle ?? null,
    ...rule,
  });
}

const ret = (expr: string, imports = "") => `${imports}\ndef f(x):\n    return ${expr}\n`;

describe("evalplus's comparison rules, sample by sample", () => {
  it.each<RuleCase>([
    { name: "1.0 == 1 (Python's ==)", canonical: ret("1"), sample: ret("1.0"), status: "pass" },
    { name: "True == 1", canonical: ret("1"), sample: ret("True"), status: "pass" },
    {
      name: "a list is not a tuple",
      canonical: ret("(1, 2)"),
      sample: ret("[1, 2]"),
      status: "fail",
      reason: /wrong output/,
    },
    {
      name: "a dict in another order",
      canonical: ret("{1: 'a', 2: 'b'}"),
      sample: ret("{2: 'b', 1: 'a'}"),
      status: "pass",
    },
    {
      name: "a float within 1e-6 (atol 0 becomes 1e-6)",
      canonical: ret("0.1 + 0.2"),
      sample: ret("0.3000004"),
      status: "pass",
    },
    { name: "a float 1e-3 off", canonical: ret("0.3"), sample: ret("0.301"), status: "fail" },
    {
      name: "a list of floats within 1e-6",
      canonical: ret("[0.5, 1.5]"),
      sample: ret("[0.5000001, 1.4999999]"),
      status: "pass",
    },
    { name: "the dataset's atol", canonical: ret("2.0"), sample: ret("2.00005"), atol: 1e-4, status: "pass" },
    {
      name: "an int for a float, within tolerance but of another type",
      canonical: ret("2.0000001"),
      sample: ret("2"),
      status: "fail",
    },
    { name: "inf == inf", canonical: ret("float('inf')"), sample: ret("float('inf')"), status: "pass" },
    {
      name: "NaN never equals NaN (evalplus fails even the canonical)",
      canonical: ret("float('nan')"),
      sample: ret("float('nan')"),
      status: "fail",
    },
    { name: "a string for a number", canonical: ret("3"), sample: ret("'3'"), status: "fail" },
    {
      name: "a namedtuple equals the tuple",
      canonical: ret("(1, 2)"),
      sample: ret("P(1, 2)", "import collections\nP = collections.namedtuple('P', 'a b')"),
      status: "pass",
    },
    {
      name: "numpy.float64 equal to the float",
      canonical: ret("0.5"),
      sample: ret("numpy.float64(0.5)", "import numpy"),
      status: "pass",
    },
    {
      name: "numpy.float64 only close: a type mismatch",
      canonical: ret("0.5"),
      sample: ret("numpy.float64(0.5000001)", "import numpy"),
      status: "fail",
    },
    {
      name: "a numpy array for a list (opaque: not equal)",
      canonical: ret("[1, 2]"),
      sample: ret("numpy.array([1, 2])", "import numpy"),
      status: "fail",
    },
    {
      name: "a Fraction equal to the float",
      canonical: ret("0.5"),
      sample: ret("fractions.Fraction(1, 2)", "import fractions"),
      status: "pass",
    },
    {
      name: "MBPP set-equality task: another order passes",
      entry: "similar_elements",
      canonical: "def similar_elements(a, b):\n    return (4, 5)\n",
      sample: "def similar_elements(a, b):\n    return [5, 4]\n",
      inputs: "[[[3, 4, 5], [4, 5, 6]]]",
      oracle: "mbpp",
      status: "pass",
    },
    {
      name: "the same without the MBPP oracle fails",
      entry: "similar_elements",
      canonical: "def similar_elements(a, b):\n    return (4, 5)\n",
      sample: "def similar_elements(a, b):\n    return [5, 4]\n",
      inputs: "[[[3, 4, 5], [4, 5, 6]]]",
      status: "fail",
    },
    {
      name: "MBPP regex task: any non-None output passes when a match was expected",
      entry: "check_str",
      canonical: "import re\ndef check_str(s):\n    return re.search('^[aeiou]', s)\n",
      sample: "def check_str(s):\n    return 'a match'\n",
      inputs: '[["apple"]]',
      oracle: "mbpp",
      status: "pass",
    },
    {
      name: "MBPP regex task: None when a match was expected fails",
      entry: "check_str",
      canonical: "import re\ndef check_str(s):\n    return re.search('^[aeiou]', s)\n",
      sample: "def check_str(s):\n    return None\n",
      inputs: '[["apple"]]',
      oracle: "mbpp",
      status: "fail",
    },
    {
      name: "Mbpp/164: are_equivalent passes anything",
      entry: "are_equivalent",
      canonical: "def are_equivalent(a, b):\n    return True\n",
      sample: "def are_equivalent(a, b):\n    return 'no'\n",
      inputs: "[[1, 2]]",
      oracle: "mbpp",
      status: "pass",
    },
    {
      name: "Mbpp/295: sum_div may return 0",
      entry: "sum_div",
      canonical: "def sum_div(n):\n    return 7\n",
      sample: "def sum_div(n):\n    return 0\n",
      oracle: "mbpp",
      status: "pass",
    },
    {
      name: "HumanEval/32: another root of the polynomial passes",
      entry: "find_zero",
      canonical: "def find_zero(xs):\n    return 1.0\n",
      sample: "def find_zero(xs):\n    return 2.0\n",
      inputs: "[[[2, -3, 1]]]",
      atol: 1e-4,
      oracle: "humaneval",
      status: "pass",
    },
    {
      name: "HumanEval/32: a point that is not a root fails",
      entry: "find_zero",
      canonical: "def find_zero(xs):\n    return 1.0\n",
      sample: "def find_zero(xs):\n    return 3.0\n",
      inputs: "[[[2, -3, 1]]]",
      atol: 1e-4,
      oracle: "humaneval",
      status: "fail",
    },
    {
      name: "MBPP+ inputs arrive as tuples (evalplus's fix-up for Mbpp/2)",
      entry: "similar_elements",
      canonical: "def similar_elements(a, b):\n    return type(a).__name__\n",
      sample: "def similar_elements(a, b):\n    return 'tuple'\n",
      inputs: "[[[1, 2], [2, 3]]]",
      inputsRule: "mbpp:2",
      oracle: "mbpp",
      status: "pass",
    },
  ])("$name: $status", async (c) => {
    const v = await judgeRule(c);
    expect(v.status, JSON.stringify(v.failure)).toBe(c.status);
    if (c.reason) expect(v.failure?.reason).toMatch(c.reason);
  });

  it("reports the first failing input with the expected and the actual value", async () => {
    const v = await judgeRule({
      name: "",
      canonical: ret("x * 2"),
      sample: ret("x * 2 if x < 3 else 0"),
      inputs: "[[1], [2], [3], [4]]",
      status: "fail",
    });
    expect(v).toMatchObject({
      status: "fail",
      passed: 2,
      total: 4,
      failure: { index: 2, reason: "wrong output", input: "[3]", expected: "6", actual: "0" },
    });
  });

  it.each([
    {
      sample: "def f(x):\n    raise ValueError('nope')\n",
      reason: "raised an exception",
      error: "ValueError: nope",
    },
    { sample: "def g(x):\n    return 1\n", reason: /finding the function failed/, error: /no function 'f'/ },
    {
      sample: "def f(x)\n    return 1\n",
      reason: /running the code failed: SyntaxError/,
      error: /SyntaxError: expected ':' \(line 1\)/,
    },
  ])("an exception, a missing function, a syntax error: $reason", async ({ sample, reason, error }) => {
    const v = await judgeRule({ name: "", canonical: ret("x"), sample, status: "fail" });
    expect(v.status).toBe("fail");
    expect(v.failure?.reason).toMatch(reason);
    expect(v.failure?.error).toMatch(error);
  });

  it("outputs over 1 MiB: equal ones pass by digest; 1 == 1.0 ones are shipped and pass by ==; wrong ones fail", async () => {
    const canonical = ret("list(range(300_000))");
    const before = ex.stats.reruns;
    expect(
      (await judgeRule({ name: "", canonical, sample: ret("[i for i in range(300_000)]"), status: "pass" }))
        .status,
    ).toBe("pass");
    expect(ex.stats.reruns).toBe(before);
    expect(
      (
        await judgeRule({
          name: "",
          canonical,
          sample: ret("[float(i) for i in range(300_000)]"),
          status: "pass",
        })
      ).status,
    ).toBe("pass");
    expect(ex.stats.reruns).toBe(before + 1);
    const wrong = await judgeRule({
      name: "",
      canonical,
      sample: ret("list(range(1, 300_001))"),
      status: "fail",
    });
    expect(wrong).toMatchObject({ status: "fail", failure: { index: 0, reason: "wrong output" } });
  });
});

describe("assert tests", () => {
  const code = "def inc(x):\n    return x + 1\n";

  it("counts passes, and gives the failing test with both sides of ==", async () => {
    const v = await ex.checkAsserts({
      code,
      tests: ["assert inc(1) == 2", "assert inc(2) == 4", "assert inc(3) == 4"],
    });
    expect(v).toMatchObject({
      status: "fail",
      passed: 2,
      total: 3,
      failure: { index: 1, test: "assert inc(2) == 4", expected: "4", actual: "3" },
    });
    expect((await ex.checkAsserts({ code, tests: ["assert inc(1) == 2"] })).status).toBe("pass");
  });

  it("runs the setup first, and HumanEval's check(candidate) statement by statement", async () => {
    expect(
      (
        await ex.checkAsserts({
          code,
          setup: "import math\nK = 2",
          tests: ["assert inc(K) == 3", "assert math.pi > 3"],
        })
      ).status,
    ).toBe("pass");
    const v = await ex.checkAsserts({
      code,
      setup: "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(5) == 7\n",
      checkFunction: { name: "check", entryPoint: "inc" },
    });
    expect(v).toMatchObject({
      status: "fail",
      passed: 1,
      total: 2,
      failure: { index: 1, test: "assert candidate(5) == 7" },
    });
  });

  it("a slow test fails at its own limit; the guard stops open() as HumanEval's harness does", async () => {
    const slow = await ex.checkAsserts({
      code: "import time\n",
      tests: ["time.sleep(5)", "assert True"],
      timeLimit: 0.3,
    });
    expect(slow).toMatchObject({
      status: "fail",
      passed: 1,
      failure: { index: 0, reason: "time limit exceeded" },
    });
    const opened = await ex.checkAsserts({ code: "def r():\n    return open('x', 'w')\n", tests: ["r()"] });
    expect(opened.failure?.error).toMatch(/TypeError: 'NoneType' object is not callable/);
  });
});

describe("stdin/stdout and call-based tests (APPS)", () => {
  const stdio = (code: string, inputs: unknown[], outputs: unknown[]) =>
    ex.checkStdio({ code, inputs: JSON.stringify(inputs), outputs: JSON.stringify(outputs) });

  it.each([
    { name: "input() and print", code: "a, b = map(int, input().split())\nprint(a + b)", status: "pass" },
    {
      name: "sys.stdin.read and extra blank lines",
      code: "import sys\nv = sys.stdin.read().split()\nprint(int(v[0]) + int(v[1]), '  ')\nprint()",
      status: "pass",
    },
    {
      name: "open(0) and sys.stdout.write",
      code: "import sys\na, b = map(int, open(0).read().split())\nsys.stdout.write(str(a + b) + '\\n')",
      status: "pass",
    },
    {
      name: "a main() behind __name__ == '__main__' and sys.exit",
      code: "import sys\ndef main():\n    a, b = map(int, input().split())\n    print(a + b)\n    sys.exit(0)\nif __name__ == '__main__':\n    main()",
      status: "pass",
    },
    {
      name: "work in a thread (a common trick for deep recursion)",
      code: "import threading\ndef main():\n    a, b = map(int, input().split())\n    print(a + b)\nthreading.Thread(target=main).start()",
      status: "pass",
    },
    { name: "a wrong sum", code: "a, b = map(int, input().split())\nprint(a - b)", status: "fail" },
    { name: "a runtime error", code: "raise RuntimeError('boom')", status: "fail" },
  ])("$name: $status", async ({ code, status }) => {
    const v = await stdio(code, ["1 2\n", "10 20\n"], ["3\n", "30"]);
    expect(v.status, JSON.stringify(v.failure)).toBe(status);
  });

  it("numbers compare with a tolerance, words in order only", async () => {
    expect((await stdio("print('0.3333333 1')", [""], ["0.33333333333 1"])).status).toBe("pass");
    expect((await stdio("print('1 0.3333333')", [""], ["0.33333333333 1"])).status).toBe("fail");
    expect((await stdio("print('b a')", [""], ["a b"])).status).toBe("fail");
  });

  it("fn_name: a method of class Solution, a tuple for a list, the [value] wrapping", async () => {
    const code = "class Solution:\n    def twoSum(self, nums, target):\n        return (0, 1)\n";
    const v = await ex.checkStdio({
      code,
      fnName: "twoSum",
      inputs: JSON.stringify([[[2, 7], 9]]),
      outputs: JSON.stringify([[[0, 1]]]),
    });
    expect(v.status).toBe("pass");
    const bad = await ex.checkStdio({
      code,
      fnName: "twoSum",
      inputs: JSON.stringify([[[2, 7], 9]]),
      outputs: JSON.stringify([[[1, 0]]]),
    });
    expect(bad).toMatchObject({
      status: "fail",
      failure: { index: 0, reason: "wrong output", actual: "(0, 1)" },
    });
  });
});

describe("compile checks", () => {
  it("passes code that compiles, without running it; names the line of a syntax error", async () => {
    expect((await ex.compile("import os\nos._exit(3)\n")).status).toBe("pass");
    const v = await ex.compile("def f(:\n    pass\n");
    expect(v).toMatchObject({
      status: "fail",
      failure: { line: 1, error: expect.stringMatching(/^SyntaxError/) },
    });
  });
});

describe("the executor itself", () => {
  it("says what applies on this machine", () => {
    expect(ex.workers).toBe(2);
    expect(Object.keys(ex.sandbox).sort()).toEqual(
      expect.arrayContaining(["filesystem", "memory", "network", "processes", "user"]),
    );
    if (process.getuid?.() === 0) {
      expect(ex.sandbox.network).toMatch(/own network namespace/);
      expect(ex.sandbox.filesystem).toMatch(/read-only \//);
    }
  });

  it("a missing interpreter is a PythonNotFoundError naming the fix", async () => {
    await expect(Executor.start({ python: "/nonexistent/python3" })).rejects.toBeInstanceOf(
      PythonNotFoundError,
    );
    expect(() => findPython("sra-no-such-python")).toThrow(/no "sra-no-such-python" on PATH/);
    try {
      findPython("sra-no-such-python");
    } catch (e) {
      expect((e as PythonNotFoundError).hint).toMatch(/--python PATH/);
    }
  });

  it.each([
    { name: "without namespaces (the fallback report)", options: { namespaces: false } },
    { name: "one interpreter per check (the benchmark's comparison)", options: { mode: "spawn" as const } },
  ])("works $name", async ({ options }) => {
    const other = await Executor.start({ workers: 1, ...options });
    try {
      if (options.namespaces === false) expect(other.sandbox.network).toBe("not isolated");
      expect((await other.checkAsserts({ code: "x = 1", tests: ["assert x == 1"] })).status).toBe("pass");
    } finally {
      await other.close();
    }
  });

  it("ships its harness: found from the package root, and listed in package.json's files", () => {
    expect(existsSync(harnessMain())).toBe(true);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { files: string[] };
    expect(pkg.files).toContain("src/execute/harness/*.py");
    expect(path.relative(ROOT, harnessMain())).toBe(path.join("src", "execute", "harness", "__main__.py"));
  });

  it("defaults to one worker per core", async () => {
    const one = await Executor.start({ mode: "spawn" });
    try {
      expect(one.workers).toBe(os.availableParallelism());
    } finally {
      await one.close();
    }
  });
});
