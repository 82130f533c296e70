/**
 * The search's code checks wired to the run's executor (src/run/search-checks.ts), through the built
 * CLI against the fake server: a problem's tests become the search's Verifier (best-of-n keeps the
 * plan whose code passes, --verify-end refuses a failing terminal and searches on), its statement's
 * example inputs its ExampleRunner (self-consistency without tests groups codes by what they output,
 * calls of the entry function or stdin), and a sample whose code came from the search carries the
 * search's verdict and `compiles` like any checked sample.
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateArgs, runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { readJsonlStrict } from "./support/jsonl-files.js";
import { createPlanScript } from "./support/plan-script.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON records read back from the run's files
type Rec = Record<string, any>;

const fence = (code: string) => `\`\`\`python\n${code}\n\`\`\``;
const ADD_ONE = "def add_one(x):\n    return x + 1";
const ADD_TWO = "def add_one(x):\n    return x + 2";
const SUM = "a, b = map(int, input().split())\nprint(a + b)";
const SUM_TOO = "print(sum(int(t) for t in input().split()))";
const PRODUCT = "a, b = map(int, input().split())\nprint(a * b)";

/**
 * The code of the n-th implement request of a problem (by its `[tag]`): which replies pass is fixed
 * by their order, so the search has to find the passing one among failing ones.
 */
function implementReply(tag: string, n: number): string | undefined {
  switch (tag) {
    case "bon": // best-of-n: only the second of every three candidates passes
      return fence(n % 3 === 1 ? ADD_ONE : ADD_TWO);
    case "ve": // --verify-end: the first terminal's code fails, later ones pass
      return fence(n === 0 ? ADD_TWO : ADD_ONE);
    case "calls": // self-consistency on doctest calls: two of three agree
      return fence(n % 3 === 1 ? ADD_TWO : ADD_ONE);
    case "stdin": // self-consistency on a sample input: two different codes print the same
      return fence([SUM, PRODUCT, SUM_TOO][n % 3] as string);
    default:
      return undefined;
  }
}

const PROBLEMS: Record<string, Rec> = {
  bon: {
    id: "bon",
    question: "[bon] Write a function add_one(x) that returns x + 1.",
    tests: ["assert add_one(1) == 2", "assert add_one(41) == 42"],
  },
  ve: {
    id: "ve",
    question: "[ve] Write a function add_one(x) that returns x + 1.",
    tests: ["assert add_one(1) == 2"],
  },
  calls: {
    id: "calls",
    question:
      '[calls] Complete the function.\n\ndef add_one(x):\n    """\n    >>> add_one(1)\n    2\n    >>> add_one(-1)\n    0\n    """\n',
  },
  stdin: {
    id: "stdin",
    question: "[stdin] Read two integers and print their sum.\n\nSample Input\n1 2\n\nSample Output\n3\n",
  },
};

let tmp: string;
let server: FakeServer;
const implementCalls = new Map<string, number>();

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-search-checks-"));
  server = await startFakeOpenAiServer({
    models: ["google/gemma-2-2b-it"],
    script: createPlanScript({
      endAfterSteps: 2,
      before: (ctx) => {
        if (ctx.purpose !== "implement") return undefined;
        const tag = /\[([a-z-]+)\]/.exec(ctx.prompt)?.[1] ?? "";
        const n = implementCalls.get(tag) ?? 0;
        implementCalls.set(tag, n + 1);
        return implementReply(tag, n);
      },
    }),
  });
});

afterAll(async () => {
  await server?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** Run generate on the named problems with `flags`; the run's samples by id, and its summary. */
async function generate(name: string, ids: string[], flags: string[]) {
  const problems = path.join(tmp, `${name}.jsonl`);
  await fsp.writeFile(problems, ids.map((id) => `${JSON.stringify(PROBLEMS[id])}\n`).join(""));
  const out = path.join(tmp, name);
  const r = await runCli(generateArgs({ url: server.url, problems, out }, flags));
  expect(r.code, r.stderr).toBe(0);
  const written = await fsp.readFile(path.join(out, "samples.jsonl"), "utf8").catch(() => "");
  const samples = new Map(
    written === "" ? [] : readJsonlStrict(path.join(out, "samples.jsonl")).map((s: Rec) => [s.id, s]),
  );
  const summary = JSON.parse(await fsp.readFile(path.join(out, "summary.json"), "utf8")) as Rec;
  return { samples, summary, out, stderr: r.stderr };
}

describe("sra generate: the search's code checks run in the run's executor", () => {
  it("best-of-n keeps the candidate whose code passes the problem's tests; the sample keeps its verdict", async () => {
    const { samples, summary } = await generate(
      "bon",
      ["bon"],
      ["--strategy", "best-of-n", "--samples", "3"],
    );
    const s = samples.get("bon") as Rec;
    expect(implementCalls.get("bon")).toBe(3);
    expect(s.code).toBe(ADD_ONE);
    expect(s.meta).toMatchObject({
      codeFrom: "search",
      compiles: true,
      tests: { status: "pass", passed: 2, total: 2 },
    });
    expect(s.meta.counters).toMatchObject({ "select.tests": 1, "candidate.passed": 1 });
    expect(summary.thisRun.search).toMatchObject({ "select.tests": 1, "candidate.passed": 1 });
  }, 60_000);

  it("--stage plans still starts the executor for best-of-n: the saved plan carries the passing code and its verdict", async () => {
    const { out, samples } = await generate(
      "bon-plans",
      ["bon"],
      ["--strategy", "best-of-n", "--samples", "3", "--stage", "plans"],
    );
    expect(samples.size).toBe(0);
    const [plan] = readJsonlStrict(path.join(out, "plans.jsonl"));
    expect(plan?.code).toBe(ADD_ONE);
    expect(plan?.tests).toEqual({ status: "pass", passed: 2, total: 2 });
    expect(plan?.counters).toMatchObject({ "select.tests": 1 });
  }, 60_000);

  it("--verify-end tests each terminal plan, refuses the failing one and accepts a later passing one", async () => {
    const { samples, out, summary, stderr } = await generate(
      "ve",
      ["ve"],
      ["--strategy", "mcts", "--verify-end"],
    );
    const s = samples.get("ve") as Rec;
    expect(s.code).toBe(ADD_ONE);
    expect(s.meta).toMatchObject({ codeFrom: "search", compiles: true, tests: { status: "pass" } });
    expect(s.meta.counters["verify.tried"]).toBeGreaterThanOrEqual(2);
    expect(s.meta.counters["verify.failed"]).toBeGreaterThanOrEqual(1);
    expect(s.meta.counters["verify.untested"]).toBeUndefined();
    // The run's summary sums them over its plans, and says so at the end.
    expect(summary.thisRun.search["verify.tried"]).toBe(s.meta.counters["verify.tried"]);
    expect(summary.thisRun.search["verify.failed"]).toBe(s.meta.counters["verify.failed"]);
    expect(stderr).toMatch(/search checks: --verify-end tested [2-9] terminal plans, [1-9] failed/);
    const stats = await runCli(["stats", out]);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/verify\.tried\s+[2-9]/);
    expect(stats.stdout).toMatch(/verify\.failed\s+[1-9]/);
  }, 60_000);

  it("self-consistency without tests groups the codes by their outputs on the statement's example calls and stdin", async () => {
    const { samples } = await generate(
      "sc",
      ["calls", "stdin"],
      ["--strategy", "self-consistency", "--samples", "3", "--concurrency", "1"],
    );
    const calls = samples.get("calls") as Rec;
    expect(calls.code).toBe(ADD_ONE);
    expect(calls.meta.counters).toMatchObject({ "select.outputs": 1 });
    expect(calls.meta.tests).toBeUndefined();
    const stdin = samples.get("stdin") as Rec;
    // Two different codes print 3 for "1 2": their cluster wins over the product's.
    expect([SUM, SUM_TOO]).toContain(stdin.code);
    expect(stdin.meta.counters).toMatchObject({ "select.outputs": 1 });
    expect(stdin.meta).toMatchObject({ codeFrom: "search", compiles: true });
  }, 60_000);
});
