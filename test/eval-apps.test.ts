/**
 * `sra eval --benchmarks apps:FILE` through the built CLI against the fake server, on an APPS-shaped
 * file (test/fixtures/apps-mini.jsonl: two tasks per difficulty, stdin programs and fn_name calls):
 * the scripted model answers some samples with the row's first solution and the rest with broken
 * code, so pass@1 and pass@5 overall and per difficulty are known exactly; summary.json, the printed
 * summary and `sra eval compare` show them, as MoTCoder reports APPS.
 */
import { readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEvalBenchmark } from "../src/benchmarks/eval-tasks.js";
import { ROOT, runCli } from "./support/cli.js";
import { type CodegenRequest, createCodegenScript, indexOfSeed } from "./support/codegen-script.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";

const MODEL = "google/gemma-2-2b-it";
const APPS = path.join(ROOT, "test/fixtures/apps-mini.jsonl");
const N = 5;

/** Which sample indexes of each task the model gets right. */
const RIGHT: Record<string, (index: number) => boolean> = {
  "101": () => true,
  "102": (i) => i === 0,
  "201": () => true,
  "202": () => false,
  "301": (i) => i < 2,
  "302": () => false,
};
// pass@1 = mean c/n; pass@5 with n = 5: 1 for a task with c > 0. c = 5, 1 | 5, 0 | 2, 0.
const EXPECTED = {
  all: { "1": (1 + 0.2 + 1 + 0 + 0.4 + 0) / 6, "5": 4 / 6 },
  introductory: { "1": 0.6, "5": 1 },
  interview: { "1": 0.5, "5": 0.5 },
  competition: { "1": 0.2, "5": 0.5 },
};

let tmp: string;
let server: FakeServer;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-eval-apps-"));
  const sources = { dirs: [], cacheDir: tmp, baseUrl: "http://127.0.0.1:9", notify: () => undefined };
  const { tasks } = await loadEvalBenchmark(`apps:${APPS}`, sources);
  const answer = (r: CodegenRequest) =>
    RIGHT[r.taskId]?.(indexOfSeed(r.taskId, r.seed)) ? "canonical" : "broken";
  server = await startFakeOpenAiServer({
    script: createCodegenScript(tasks, answer).script,
    models: [MODEL],
  });
});

afterAll(async () => {
  await server?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

const evalArgs = (out: string, extra: string[] = [], file = APPS) => [
  "eval",
  "--benchmarks",
  `apps:${file}`,
  "--model",
  "gemma-2-2b",
  "--base-url",
  server.url,
  "--out",
  out,
  "--cache-dir",
  path.join(tmp, "cache"),
  "--no-progress",
  ...extra,
];

describe("sra eval --benchmarks apps:FILE", () => {
  let out: string;

  it("scores pass@1 and pass@5 overall and per difficulty, in summary.json and the printed summary", async () => {
    out = path.join(tmp, "sampled");
    const r = await runCli(evalArgs(out, ["--n", String(N)]));
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(out, "apps-mini", "summary.json"), "utf8"));
    expect(summary).toMatchObject({ benchmark: `apps:${APPS}`, tasks: 6, samples: 30 });
    expect(Object.keys(summary.pass_at_k.base)).toEqual(["1", "5"]);
    expect(summary.pass_at_k.base["1"]).toBeCloseTo(EXPECTED.all["1"], 12);
    expect(summary.pass_at_k.base["5"]).toBeCloseTo(EXPECTED.all["5"], 12);
    expect(Object.keys(summary.by_difficulty)).toEqual(["introductory", "interview", "competition"]);
    for (const level of ["introductory", "interview", "competition"] as const) {
      const d = summary.by_difficulty[level];
      expect(d).toMatchObject({ tasks: 2, samples: 10 });
      expect(d.pass_at_k["1"]).toBeCloseTo(EXPECTED[level]["1"], 12);
      expect(d.pass_at_k["5"]).toBeCloseTo(EXPECTED[level]["5"], 12);
    }
    expect(summary.solved.base.sort()).toEqual(["101", "102", "201", "301"]);
    expect(r.stderr).toContain("apps-mini: 6 tasks, 30 samples (n 5): pass@1 43.3%, pass@5 66.7%");
    expect(r.stderr).toContain("  introductory: 2 tasks, pass@1 60.0%, pass@5 100.0%");
    expect(r.stderr).toContain("  interview: 2 tasks, pass@1 50.0%, pass@5 50.0%");
    expect(r.stderr).toContain("  competition: 2 tasks, pass@1 20.0%, pass@5 50.0%");
    expect(r.stdout).toMatch(/^ {2}introductory\s+2\s+10\s+60\.0\s+-\s+100\.0\s+-$/m);
    // A call-based task's broken code fails on its first call; a stdin task's prints nothing.
    const results = readFileSync(path.join(out, "apps-mini", "results.jsonl"), "utf8")
      .trim()
      .split("\n");
    const failed = results.map((l) => JSON.parse(l)).find((x) => x.task_id === "302");
    expect(failed).toMatchObject({ base_status: "fail", plus_status: null });
  }, 120_000);

  it("greedy: pass@1 only, per difficulty too", async () => {
    const greedy = path.join(tmp, "greedy");
    const r = await runCli(evalArgs(greedy, ["--greedy"]));
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(greedy, "apps-mini", "summary.json"), "utf8"));
    // Greedy requests are sample 0: right for 101, 102, 201, 301.
    expect(summary.pass_at_k.base).toEqual({ "1": 4 / 6 });
    expect(summary.by_difficulty.competition.pass_at_k).toEqual({ "1": 0.5 });
  }, 120_000);

  it("sra eval compare shows MoTCoder's APPS columns when a run has them", async () => {
    const r = await runCli(["eval", "compare", out, path.join(tmp, "greedy")]);
    expect(r.code, r.stderr).toBe(0);
    const [header, first, second] = r.stdout.trim().split("\n");
    expect(header).toMatch(
      /APPS Intro\s+APPS Interview\s+APPS Competition\s+APPS All\s+APPS Intro pass@5\s+APPS Interview pass@5\s+APPS Competition pass@5\s+APPS All pass@5\s+Avg\. increment$/,
    );
    expect(first).toMatch(/60\.0\s+50\.0\s+20\.0\s+43\.3\s+100\.0\s+50\.0\s+50\.0\s+66\.7\s+-$/);
    // Greedy has no pass@5: its increment is over the pass@1 columns both runs have.
    expect(second).toMatch(/100\.0\s+50\.0\s+50\.0\s+66\.7\s+-\s+-\s+-\s+-\s+\+23\.3$/);
  }, 60_000);

  it("apps:FILE needs input_output on every line: the line is named", async () => {
    const bad = path.join(tmp, "bad.jsonl");
    await fsp.writeFile(
      bad,
      `${readFileSync(APPS, "utf8").split("\n")[0]}\n{"problem_id": 9, "question": "q"}\n`,
    );
    const r = await runCli(evalArgs(path.join(tmp, "bad-out"), [], bad));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:2`);
    expect(r.stderr).toContain("an APPS task needs input_output");
  });
});
