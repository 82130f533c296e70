/**
 * generate's code checks through the built CLI against the fake server: every sample's code is
 * compiled in the executor before it is written (code that does not compile is asked again within
 * --code retries; never compiling is a recorded failure), problems that carry tests (asserts with
 * setup, or APPS input_output) get their code run against them, the implement prompt shows the first
 * test when the question does not name the function it calls, `sra stats` shows the rates and
 * `sra export --only-passing` keeps the verified samples. CoT plans keep each problem at two calls.
 */
import { readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportArgs, generateArgs, runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { readJsonlStrict } from "./support/jsonl-files.js";
import { createPlanScript } from "./support/plan-script.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON records read back from the run's files
type Rec = Record<string, any>;

const fence = (code: string) => `Here it is:\n\n\`\`\`python\n${code}\n\`\`\``;
const ADD_ONE = "def add_one(x):\n    return x + 1";
const SYNTAX_ERROR = "def add_one(x:\n    return x + 1";

/** The problems: each question carries a marker the scripted model answers by. */
const PROBLEMS: Rec[] = [
  {
    id: "pass",
    question: "[pass] Write a function add_one(x) that returns x + 1.",
    tests: ["assert add_one(1) == 2", "assert add_one(41) == 42"],
  },
  {
    id: "wrong",
    question: "[wrong] Write a function is_even(n) that says whether n is even.",
    tests: ["assert is_even(2)", "assert not is_even(3)"],
  },
  {
    id: "second-try",
    question: "[second-try] Write a function add_one(x) that returns x + 1.",
    test_list: ["assert add_one(2) == 3"],
  },
  { id: "never", question: "[never] Write a function add_one(x) that returns x + 1." },
  {
    id: "stdio",
    question: "[stdio] Read two integers from one line and print their sum.",
    input_output: { inputs: ["1 2\n", "40 2\n"], outputs: ["3\n", "42\n"] },
  },
  {
    id: "unnamed",
    question: "[unnamed] Write a function to find the shared elements of two tuples.",
    tests: ["assert set(similar_elements((3, 4, 5), (5, 4))) == {4, 5}"],
    setup: "import math",
  },
  { id: "untested", question: "[untested] Write a function add_one(x) that returns x + 1." },
];

/** How many implement requests each problem got, and the prompts of the "unnamed" one. */
const implementCalls = new Map<string, number>();
const unnamedPrompts: string[] = [];

function implementReply(prompt: string): string | undefined {
  const id = /\[([a-z-]+)\]/.exec(prompt)?.[1];
  if (id === undefined) return undefined;
  const n = implementCalls.get(id) ?? 0;
  implementCalls.set(id, n + 1);
  switch (id) {
    case "wrong":
      return fence("def is_even(n):\n    return True");
    case "second-try":
      return fence(n === 0 ? SYNTAX_ERROR : ADD_ONE);
    case "never":
      return fence(SYNTAX_ERROR);
    case "stdio":
      return fence("a, b = map(int, input().split())\nprint(a + b)");
    case "unnamed":
      unnamedPrompts.push(prompt);
      // A model that sees the test uses its name; one that does not, picks its own.
      return fence(
        prompt.includes("similar_elements(")
          ? "def similar_elements(a, b):\n    return tuple(set(a) & set(b))"
          : "def shared(a, b):\n    return tuple(set(a) & set(b))",
      );
    default:
      return fence(ADD_ONE);
  }
}

let tmp: string;
let problems: string;
let server: FakeServer;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-code-checks-"));
  problems = path.join(tmp, "problems.jsonl");
  await fsp.writeFile(problems, PROBLEMS.map((p) => `${JSON.stringify(p)}\n`).join(""));
  server = await startFakeOpenAiServer({
    models: ["google/gemma-2-2b-it"],
    script: createPlanScript({
      before: (ctx) => (ctx.purpose === "implement" ? implementReply(ctx.prompt) : undefined),
    }),
  });
});

afterAll(async () => {
  await server?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

const COT = ["--strategy", "cot", "--max-failures", "none"];
const byId = (records: Rec[]) => new Map(records.map((r) => [r.id as string, r]));

describe("sra generate: code checks", () => {
  let out: string;

  it("compiles every sample, runs the problems' tests, records a plan whose code never compiles as a failure", async () => {
    out = path.join(tmp, "checked");
    const r = await runCli(generateArgs({ url: server.url, problems, out }, COT));
    expect(r.code, r.stderr).toBe(0);
    const samples = byId(readJsonlStrict(path.join(out, "samples.jsonl")));
    expect([...samples.keys()].sort()).toEqual([
      "pass",
      "second-try",
      "stdio",
      "unnamed",
      "untested",
      "wrong",
    ]);
    for (const s of samples.values()) expect(s.meta.compiles).toBe(true);
    expect(samples.get("pass")?.meta.tests).toEqual({ status: "pass", passed: 2, total: 2 });
    expect(samples.get("wrong")?.meta.tests).toMatchObject({ status: "fail", passed: 1, total: 2 });
    expect(samples.get("wrong")?.meta.tests.failure).toContain("assert not is_even(3)");
    expect(samples.get("stdio")?.meta.tests).toEqual({ status: "pass", passed: 2, total: 2 });
    expect(samples.get("unnamed")?.meta.tests).toEqual({ status: "pass", passed: 1, total: 1 });
    expect(samples.get("untested")?.meta.tests).toBeUndefined();
    // The first reply did not compile: asked again within the code retries (default 2).
    expect(samples.get("second-try")?.meta.counters).toMatchObject({ codeAttempts: 2, compileFailures: 1 });
    expect(samples.get("second-try")?.meta.tests).toEqual({ status: "pass", passed: 1, total: 1 });
    expect(implementCalls.get("never")).toBe(3);
    const failures = readJsonlStrict(path.join(out, "failures.jsonl"));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ id: "never", stage: "code", kind: "compile-error" });
    expect(failures[0]?.error).toContain("does not compile");
    // The implement prompt showed the test, setup first, for the question that does not name it.
    expect(unnamedPrompts[0]).toContain(
      "Your code should pass this test:\n```python\nimport math\nassert set(similar_elements((3, 4, 5), (5, 4))) == {4, 5}\n```",
    );
    expect(r.stderr).toContain(
      "code checks: 6 of 7 compiled (1 never did: a compile-error failure); 1 reply did not compile and was asked again; own tests passed by 4 of 5 samples",
    );
  }, 60_000);

  it("sra stats shows the compile and test pass rates", async () => {
    const r = await runCli(["stats", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/compiles \(code checks\)\s+6 of 7 \(85\.7%\)/);
    expect(r.stdout).toMatch(/never compiled \(failures\)\s+1/);
    expect(r.stdout).toMatch(/own tests: samples passing\s+4 of 5 \(80\.0%\)/);
    expect(r.stdout).toMatch(/own tests: fail \/ timeout\s+1 \/ 0/);
    expect(r.stdout).toMatch(/own tests: tests passed\s+7 of 8 \(87\.5%\)/);
  });

  it("sra export --only-passing keeps the samples that passed their tests", async () => {
    const dest = path.join(tmp, "passing");
    const r = await runCli(exportArgs("jsonl", out, dest, ["--only-passing"]));
    expect(r.code, r.stderr).toBe(0);
    expect(
      readJsonlStrict(path.join(dest, "sra_cot.jsonl"))
        .map((s) => s.id)
        .sort(),
    ).toEqual(["pass", "second-try", "stdio", "unnamed"]);
    expect(r.stderr + r.stdout).toContain("1 failing their tests (--only-passing)");
    expect(r.stderr + r.stdout).toContain("1 without tests (--only-passing)");
  });

  it("--stage plans, then --stage code: the saved plans' code is checked against the problems' tests", async () => {
    const staged = path.join(tmp, "staged");
    const plans = await runCli(
      generateArgs({ url: server.url, problems, out: staged }, [...COT, "--stage", "plans"]),
    );
    expect(plans.code, plans.stderr).toBe(0);
    expect(plans.stderr).not.toContain("code checks:");
    const code = await runCli(
      generateArgs({ url: server.url, problems, out: staged }, [...COT, "--stage", "code"]),
    );
    expect(code.code, code.stderr).toBe(0);
    const samples = byId(readJsonlStrict(path.join(staged, "samples.jsonl")));
    expect(samples.get("pass")?.meta.tests).toEqual({ status: "pass", passed: 2, total: 2 });
    expect(samples.get("stdio")?.meta.tests).toEqual({ status: "pass", passed: 2, total: 2 });
    expect(samples.get("wrong")?.meta.tests).toMatchObject({ status: "fail" });
    expect(samples.get("untested")?.meta).toMatchObject({ compiles: true });
  }, 60_000);

  it("--no-check-code writes the code unchecked: no compiling, no tests, no Python needed", async () => {
    const unchecked = path.join(tmp, "unchecked");
    const r = await runCli(
      generateArgs({ url: server.url, problems, out: unchecked }, [
        ...COT,
        "--no-check-code",
        "--python",
        "/nonexistent/python3",
      ]),
    );
    expect(r.code, r.stderr).toBe(0);
    const samples = readJsonlStrict<Rec>(path.join(unchecked, "samples.jsonl"));
    expect(samples).toHaveLength(7);
    for (const s of samples) {
      expect(s.meta.compiles).toBeUndefined();
      expect(s.meta.tests).toBeUndefined();
    }
    // Unchecked, the code that does not compile is a sample.
    expect(byId(samples).get("never")?.code).toBe(SYNTAX_ERROR);
  }, 60_000);

  it("without Python: exit 1 before any model call, naming --python and --no-check-code", async () => {
    const calls = server.calls.length;
    const missing = path.join(tmp, "no-python");
    const r = await runCli(
      generateArgs({ url: server.url, problems, out: missing }, [...COT, "--python", "/nonexistent/python3"]),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/nonexistent/python3");
    expect(r.stderr).toContain("--no-check-code");
    expect(r.stderr).toContain("--python");
    expect(server.calls.length).toBe(calls);
    // Nothing was run: no run directory left behind.
    expect(await fsp.stat(missing).catch(() => undefined)).toBeUndefined();
  });

  it.each([
    [{ id: "x", question: "q", tests: "assert f()" }, "tests", "expected a list of assert statements"],
    [
      { id: "x", question: "q", tests: ["assert f()"], setup: 3 },
      "setup",
      "expected a string of Python code",
    ],
    [
      { id: "x", question: "q", input_output: { inputs: ["1"] } },
      "input_output",
      "needs both inputs and outputs",
    ],
    [
      { id: "x", question: "q", input_output: { inputs: ["1"], outputs: [] } },
      "input_output",
      "inputs and outputs differ in length",
    ],
  ])(
    "a bad test field is a clear error naming the file, the line and the field: %j",
    async (record, field, message) => {
      const file = path.join(tmp, `bad-${field}-${message.length}.jsonl`);
      await fsp.writeFile(file, `{"id": "ok", "question": "fine"}\n${JSON.stringify(record)}\n`);
      const r = await runCli(
        generateArgs({ url: server.url, problems: file, out: path.join(tmp, "bad") }, COT),
      );
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`${file}:2`);
      expect(r.stderr).toContain(field);
      expect(r.stderr).toContain(message);
    },
  );
});

describe("the samples' meta as written", () => {
  it("config.json records the check settings", async () => {
    const config = JSON.parse(readFileSync(path.join(tmp, "checked", "config.json"), "utf8"));
    expect(config.check).toMatchObject({ code: true, python: "python3" });
  });
});
