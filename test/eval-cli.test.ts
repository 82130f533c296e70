/**
 * `sra eval` end to end through the built CLI against the fake server, on the first tasks of the real
 * HumanEval+ and MBPP+: the scripted model answers some tasks with their canonical solution, others
 * with broken code or prose, and one task right for some samples only (chosen by the sample's seed),
 * so the expected pass@k is known exactly. Then: a rerun that has nothing left to do, SIGKILL and
 * resume, --samples in evalplus's format (our own samples.jsonl among them), compare, --only-unsolved,
 * --instruction, and the settings a rerun must keep.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EvalTask, loadEvalBenchmark } from "../src/benchmarks/eval-tasks.js";
import { PLAN_INSTRUCTIONS } from "../src/export/instructions.js";
import { CLI, DATASETS, runCli } from "./support/cli.js";
import {
  type Answer,
  type CodegenRequest,
  createCodegenScript,
  indexOfSeed,
} from "./support/codegen-script.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { readJsonlStrict, readJsonlTolerant } from "./support/jsonl-files.js";

const MODEL = "google/gemma-2-2b-it";
// biome-ignore lint/suspicious/noExplicitAny: JSON records read back from the run's files
type Rec = Record<string, any>;
const N = 5;
let tmp: string;
let cache: string;
let tasks: EvalTask[];
const servers: FakeServer[] = [];

/** For each task, which sample indexes the model gets right. */
const RIGHT: Record<string, (index: number) => boolean> = {
  "HumanEval/0": () => true,
  "HumanEval/1": () => false,
  "HumanEval/2": (i) => i < 2,
  "Mbpp/2": () => true,
  "Mbpp/3": (i) => i === 4,
  "Mbpp/4": () => false,
};
const PROSE = new Set(["HumanEval/3"]);

function answer(r: CodegenRequest): Answer {
  if (PROSE.has(r.taskId)) return "prose";
  return RIGHT[r.taskId]?.(indexOfSeed(r.taskId, r.seed)) ? "canonical" : "broken";
}

async function serve(delayMs = 0) {
  const { script, requests } = createCodegenScript(tasks, answer, { delayMs });
  const server = await startFakeOpenAiServer({ script, models: [MODEL] });
  servers.push(server);
  return { server, requests, codegen: () => server.calls.filter((c) => c.purpose === "codegen").length };
}

function evalArgs(url: string, out: string, extra: string[] = []): string[] {
  return [
    "eval",
    "--benchmarks",
    "humaneval-plus,mbpp-plus",
    "--limit",
    "4",
    "--model",
    "gemma-2-2b",
    "--base-url",
    url,
    "--out",
    out,
    "--datasets-dir",
    DATASETS,
    "--cache-dir",
    cache,
    "--no-progress",
    ...extra,
  ];
}

const summaryOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, "summary.json"), "utf8"));

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-eval-cli-"));
  cache = path.join(tmp, "cache");
  const sources = {
    dirs: [DATASETS],
    cacheDir: cache,
    baseUrl: "http://127.0.0.1:9",
    notify: () => undefined,
  };
  const he = await loadEvalBenchmark("humaneval-plus", sources);
  const mb = await loadEvalBenchmark("mbpp-plus", sources);
  tasks = [...he.tasks.slice(0, 4), ...mb.tasks.slice(0, 4)];
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await fsp.rm(tmp, { recursive: true, force: true });
});

// pass@1 = mean c/n; pass@5 with n = 5: 1 for any task with c > 0.
// HumanEval/0-3: c = 5, 0, 2, 0. MBPP+ Mbpp/2, 3, 4, 6 (6 has no rule: broken): c = 5, 1, 0, 0.
const EXPECTED = {
  "humaneval-plus": { "1": (1 + 0 + 0.4 + 0) / 4, "5": 2 / 4 },
  "mbpp-plus": { "1": (1 + 0.2 + 0 + 0) / 4, "5": 2 / 4 },
};

describe("sra eval: a model on HumanEval+ and MBPP+ through the fake server", () => {
  let out: string;
  let first: Awaited<ReturnType<typeof serve>>;

  it("writes one folder per benchmark and scores exactly the expected pass@k, base and plus", async () => {
    first = await serve();
    out = path.join(tmp, "sampled");
    const r = await runCli(evalArgs(first.server.url, out, ["--n", String(N)]));
    expect(r.stderr).toContain(
      "humaneval-plus: 4 of 164 tasks; 20 samples to generate (0 there), 20 to check",
    );
    expect(r.code, r.stderr).toBe(0);
    expect(first.codegen()).toBe(40);
    for (const [folder, expected] of Object.entries(EXPECTED)) {
      const dir = path.join(out, folder);
      expect(new Set(await fsp.readdir(dir))).toEqual(
        new Set(["config.json", "samples.jsonl", "results.jsonl", "summary.json", "eval.log"]),
      );
      const s = summaryOf(dir);
      expect(s.pass_at_k.base["1"]).toBeCloseTo(expected["1"], 12);
      expect(s.pass_at_k.base["5"]).toBeCloseTo(expected["5"], 12);
      // Canonical solutions pass the plus tests too; broken code fails both.
      expect(s.pass_at_k.plus).toEqual(s.pass_at_k.base);
      expect(s.pass_at_k.base["10"]).toBeUndefined();
      expect(s.tasks).toBe(4);
      expect(s.samples).toBe(20);
      expect(s.n).toEqual({ min: 5, max: 5 });
      expect(s.run).toMatchObject({ source: "model", model: MODEL, n: 5, temperature: 0.8, complete: true });
      expect(s.run.generation).toMatchObject({ generated: 20, failed: 0 });
    }
    const he = path.join(out, "humaneval-plus");
    expect(summaryOf(he).solved).toEqual({
      base: ["HumanEval/0", "HumanEval/2"],
      plus: ["HumanEval/0", "HumanEval/2"],
    });
    // The results table on stdout.
    expect(r.stdout).toMatch(/^humaneval-plus\s+4\s+20\s+35\.0\s+35\.0\s+50\.0\s+50\.0$/m);
    expect(r.stdout).toMatch(/^mbpp-plus\s+4\s+20\s+30\.0\s+30\.0\s+50\.0\s+50\.0$/m);
  });

  it("keeps evalplus's samples format, what was extracted and why, and one verdict per sample", () => {
    const samples = readJsonlStrict(path.join(out, "humaneval-plus", "samples.jsonl"));
    expect(samples).toHaveLength(20);
    const canonical = samples.find((s) => s.task_id === "HumanEval/0") as Rec;
    expect(Object.keys(canonical).slice(0, 3)).toEqual(["task_id", "index", "solution"]);
    expect(canonical.solution).toContain("def has_close_elements(");
    // The example call after the function is dropped, the prose around the block too.
    expect(canonical.solution).not.toContain("print(");
    expect(canonical.reply).toContain("Here is a solution:");
    expect(canonical.extraction).toMatchObject({ from: "fenced", blocks: 1, kept: ["has_close_elements"] });
    expect(canonical.extraction.dropped).toEqual(["print(has_close_elements)"]);
    const prose = samples.find((s) => s.task_id === "HumanEval/3") as Rec;
    expect(prose.solution).toBe("");
    expect(prose.extraction.from).toBe("none");
    const results = readJsonlStrict(path.join(out, "humaneval-plus", "results.jsonl"));
    expect(results).toHaveLength(20);
    const keys = new Set(results.map((r) => `${r.task_id}#${r.index}`));
    expect(keys.size).toBe(20);
    const broken = results.find((r) => r.task_id === "HumanEval/1") as Rec;
    expect(broken).toMatchObject({ base_status: "fail", plus_status: "fail" });
    expect(broken.base.failure.index).toBe(0);
    expect(broken.base.failure.actual).toBe("'wrong'");
    const config = JSON.parse(readFileSync(path.join(out, "humaneval-plus", "config.json"), "utf8"));
    expect(config).toMatchObject({
      source: "model",
      generation: { n: 5, greedy: false, temperature: 0.8, topP: 0.95, seed: 0, instruction: null },
      benchmark: { name: "humaneval-plus", tasks: 164, selected: 4 },
      model: { name: "gemma-2-2b", servedModel: MODEL, systemRole: false },
    });
    expect(config.prompts.hash).toMatch(/^sha256:/);
    const log = readFileSync(path.join(out, "humaneval-plus", "eval.log"), "utf8")
      .trim()
      .split("\n");
    expect(log.map((l) => JSON.parse(l).msg)).toContain("eval: summary");
  });

  it("a rerun of the same command asks for nothing and checks nothing again", async () => {
    const before = first.codegen();
    const r = await runCli(evalArgs(first.server.url, out, ["--n", String(N)]));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      "humaneval-plus: 4 of 164 tasks; 0 samples to generate (20 there), 0 to check",
    );
    expect(first.codegen()).toBe(before);
    expect(summaryOf(path.join(out, "humaneval-plus")).pass_at_k.base["1"]).toBeCloseTo(0.35, 12);
    expect(readJsonlStrict(path.join(out, "humaneval-plus", "results.jsonl"))).toHaveLength(20);
  });

  it("refuses a rerun whose settings would change the samples, naming them", async () => {
    const r = await runCli(
      evalArgs(first.server.url, out, ["--n", String(N), "--temperature", "0.5", "--seed", "3"]),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("this folder was scored with other settings");
    expect(r.stderr).toContain("generation.temperature: the run has 0.8, this command has 0.5");
    expect(r.stderr).toContain("generation.seed: the run has 0, this command has 3");
  });

  it("reads samples in evalplus's format: its own samples.jsonl gives the same verdicts without a model", async () => {
    const theirs = path.join(tmp, "theirs");
    const file = path.join(out, "humaneval-plus", "samples.jsonl");
    const r = await runCli([
      "eval",
      "--benchmarks",
      "humaneval-plus",
      "--limit",
      "4",
      "--samples",
      file,
      "--out",
      theirs,
      "--datasets-dir",
      DATASETS,
      "--cache-dir",
      cache,
      "--no-progress",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(path.join(theirs, "humaneval-plus"));
    expect(s.pass_at_k).toEqual(summaryOf(path.join(out, "humaneval-plus")).pass_at_k);
    expect(s.run).toMatchObject({ source: "samples", model: null, n: null });
  });

  it("compare prints the paper's Table 1 layout, with the average increment over the first run", async () => {
    const greedy = path.join(tmp, "greedy");
    const g = await runCli(evalArgs(first.server.url, greedy, ["--greedy"]));
    expect(g.code, g.stderr).toBe(0);
    // Greedy: index 0 of each task. HumanEval: 0 right, 1 wrong, 2 right (i < 2), 3 prose -> 50%.
    // MBPP+: 2 right, 3 wrong (only index 4), 4 and 6 wrong -> 25%.
    const text = await runCli(["eval", "compare", greedy, out]);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      /^run\s+MBPP\s+MBPP\+\s+MBPP\+ pass@10\s+HumanEval\s+HumanEval\+\s+HumanEval\+ pass@10\s+Avg\. increment$/,
    );
    expect(lines[1]).toMatch(/greedy\s+25\.0\s+25\.0\s+-\s+50\.0\s+50\.0\s+-\s+-$/);
    // The sampled run has n = 5: no pass@10 column; mean of (30-25, 30-25, 35-50, 35-50) = -5.0.
    expect(lines[2]).toMatch(/sampled\s+30\.0\s+30\.0\s+-\s+35\.0\s+35\.0\s+-\s+-5\.0$/);
    const md = await runCli(["eval", "compare", greedy, out, "--markdown"]);
    expect(md.stdout).toContain(
      "| run | MBPP | MBPP+ | MBPP+ pass@10 | HumanEval | HumanEval+ | HumanEval+ pass@10 | Avg. increment |",
    );
    expect(md.stdout).toContain("| ---: |");

    // --only-unsolved: only the tasks the greedy run did not solve (plus tests).
    const hard = path.join(tmp, "hard");
    const h = await runCli(evalArgs(first.server.url, hard, ["--greedy", "--only-unsolved", greedy]));
    expect(h.code, h.stderr).toBe(0);
    expect(h.stderr).toContain("humaneval-plus: 2 of 164 tasks");
    expect(h.stderr).toContain("mbpp-plus: 3 of 399 tasks");
    const hs = summaryOf(path.join(hard, "humaneval-plus"));
    expect(hs.tasks).toBe(2);
    expect(
      readJsonlStrict(path.join(hard, "humaneval-plus", "samples.jsonl"))
        .map((s) => s.task_id)
        .sort(),
    ).toEqual(["HumanEval/1", "HumanEval/3"]);
  });
});

describe("sra eval: resume, --samples, --instruction, usage errors", () => {
  it("resumes after SIGKILL mid-generation: every sample once, the same scores, no request paid twice but those in flight", async () => {
    const { server, codegen } = await serve(25);
    const out = path.join(tmp, "killed");
    const args = evalArgs(server.url, out, [
      "--n",
      String(N),
      "--benchmarks",
      "humaneval-plus",
      "--concurrency",
      "2",
      "--max-requests",
      "2",
    ]);
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    const samples = path.join(out, "humaneval-plus", "samples.jsonl");
    for (let i = 0; i < 400; i++) {
      if (existsSync(samples) && readJsonlTolerant(samples).length >= 7) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("close", resolve));
    const written = readJsonlTolerant(samples).length;
    expect(written).toBeGreaterThanOrEqual(7);
    expect(written).toBeLessThan(20);
    const paidBefore = codegen();
    // A crash mid-append leaves a torn last line: the rerun cuts it off.
    await fsp.appendFile(samples, '{"task_id":"HumanEval/1","index":4,"solu');
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${20 - written} samples to generate (${written} there)`);
    const lines = readJsonlStrict(samples);
    expect(lines).toHaveLength(20);
    expect(new Set(lines.map((s) => `${s.task_id}#${s.index}`)).size).toBe(20);
    expect(summaryOf(path.join(out, "humaneval-plus")).pass_at_k).toEqual({
      base: EXPECTED["humaneval-plus"],
      plus: EXPECTED["humaneval-plus"],
    });
    // Over both runs: each sample asked once, plus at most the requests in flight at the kill (2).
    // That is why eval has no request journal: a sample is one request, written when it is answered.
    expect(codegen() - paidBefore).toBe(20 - written);
    expect(paidBefore).toBeLessThanOrEqual(written + 2);
    // The same samples as the uninterrupted run with the same seed (the first test's).
    const solutions = (file: string) =>
      new Map(readJsonlStrict(file).map((l) => [`${l.task_id}#${l.index}`, l.solution]));
    expect(solutions(samples)).toEqual(
      solutions(path.join(tmp, "sampled", "humaneval-plus", "samples.jsonl")),
    );
  });

  it("--samples: completion appended to the prompt, solution as it is, unknown tasks reported", async () => {
    const he = tasks.filter((t) => t.taskId.startsWith("HumanEval/"));
    const t0 = he[0]!;
    const body = (t0.canonical ?? "").slice(t0.prompt.length);
    const file = path.join(tmp, "mine.jsonl");
    const lines = [
      { task_id: "HumanEval/0", completion: body },
      { task_id: "HumanEval/0", solution: `${t0.prompt}    return True\n` },
      { task_id: "HumanEval/1", solution: he[1]!.canonical },
      { task_id: "Nope/1", solution: "x = 1" },
    ];
    await fsp.writeFile(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    const out = path.join(tmp, "mine");
    const r = await runCli([
      "eval",
      "--benchmarks",
      "humaneval-plus",
      "--limit",
      "2",
      "--samples",
      file,
      "--out",
      out,
      "--datasets-dir",
      DATASETS,
      "--cache-dir",
      cache,
      "--no-progress",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(path.join(out, "humaneval-plus"));
    // HumanEval/0: 1 of 2 right; HumanEval/1: 1 of 1. pass@1 = (0.5 + 1) / 2.
    expect(s.pass_at_k.base["1"]).toBeCloseTo(0.75, 12);
    expect(s.n).toEqual({ min: 1, max: 2 });
    expect(s.unknown_tasks).toEqual(["Nope/1"]);
    const copy = readJsonlStrict(path.join(out, "humaneval-plus", "samples.jsonl"));
    expect(copy.map((c) => [c.task_id, c.index])).toEqual([
      ["HumanEval/0", 0],
      ["HumanEval/0", 1],
      ["HumanEval/1", 0],
    ]);
    expect(copy[0]!.solution).toBe(t0.canonical);
  });

  it("--instruction asks as sra export trained: the instruction, a newline, the question, no system message", async () => {
    const { server } = await serve();
    const out = path.join(tmp, "instructed");
    const r = await runCli(
      evalArgs(server.url, out, [
        "--greedy",
        "--instruction",
        "plan-1",
        "--benchmarks",
        "humaneval-plus",
        "--limit",
        "1",
      ]),
    );
    expect(r.code, r.stderr).toBe(0);
    const call = server.calls.find((c) => c.purpose === "codegen")!;
    expect(call.body.messages).toHaveLength(1);
    expect(call.body.messages[0]!.role).toBe("user");
    expect(
      call.body.messages[0]!.content.startsWith(
        `${PLAN_INSTRUCTIONS[0]}\n\`\`\`python\nfrom typing import List`,
      ),
    ).toBe(true);
    expect(call.body.temperature).toBe(0);
    // The reply's Step lines come before its code block; the code still passes.
    const sample = readJsonlStrict(path.join(out, "humaneval-plus", "samples.jsonl"))[0] as Rec;
    expect(sample.reply).toMatch(/^Step 1: /);
    expect(summaryOf(path.join(out, "humaneval-plus")).pass_at_k.base["1"]).toBe(1);
  });

  it("--prompt-style mot asks with MoTCoder's modular prompt, records it, and a rerun must keep it", async () => {
    const { server } = await serve();
    const out = path.join(tmp, "mot");
    const args = ["--greedy", "--benchmarks", "humaneval-plus,mbpp-plus", "--limit", "1"];
    const r = await runCli(evalArgs(server.url, out, [...args, "--prompt-style", "mot"]));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("MoT prompts (--prompt-style mot)");
    const calls = server.calls.filter((c) => c.purpose === "codegen");
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.body.messages).toHaveLength(1);
      expect(call.body.messages[0]!.content).toContain("First write the sub-modules");
    }
    const config = JSON.parse(readFileSync(path.join(out, "humaneval-plus", "config.json"), "utf8"));
    expect(config.generation.promptStyle).toBe("mot");
    expect(summaryOf(path.join(out, "humaneval-plus")).pass_at_k.base["1"]).toBe(1);
    // The normal prompts' folder is another folder: the style changes the samples.
    const again = await runCli(evalArgs(server.url, out, args));
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('generation.promptStyle: the run has "mot", this command has "normal"');
  });

  it("a folder scored before --prompt-style (no generation.promptStyle) resumes as normal", async () => {
    const { server } = await serve();
    const out = path.join(tmp, "before-style");
    const args = ["--greedy", "--benchmarks", "humaneval-plus", "--limit", "1"];
    expect((await runCli(evalArgs(server.url, out, args))).code).toBe(0);
    const file = path.join(out, "humaneval-plus", "config.json");
    const config = JSON.parse(readFileSync(file, "utf8"));
    expect(config.generation.promptStyle).toBe("normal");
    delete config.generation.promptStyle;
    await fsp.writeFile(file, JSON.stringify(config));
    const r = await runCli(evalArgs(server.url, out, args));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("0 samples to generate (1 there)");
  });

  it.each([
    [
      ["--prompt-style", "mot", "--instruction", "plan-1"],
      2,
      "--prompt-style mot and --instruction both say how to ask",
    ],
    [["--prompt-style", "modular"], 2, "--prompt-style"],
    [["--samples", "s.jsonl"], 2, "--samples evaluates samples that exist: leave out --model"],
    [["--greedy", "--n", "5"], 2, "--greedy takes one sample per task: leave out --n 5"],
    [["--n", "5", "--temperature", "0"], 2, "--n 5 at temperature 0 would make 5 copies of one sample"],
    [["--instruction", "plan-9"], 2, "--instruction must be plan-1 .. plan-6"],
    [["--benchmarks", "nope"], 1, 'unknown benchmark "nope"'],
    [["--python", "/nonexistent/python3"], 1, "cannot run code: /nonexistent/python3 does not run"],
  ])("%j exits %i: %s", async (extra, code, message) => {
    const r = await runCli(evalArgs("http://127.0.0.1:9/v1", path.join(tmp, "bad"), extra));
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
    expect(existsSync(path.join(tmp, "bad"))).toBe(false);
  });

  it.each([
    [["--engine", "openai"], "--engine openai needs a server: give --base-url URL"],
    [["--base-url", "http://127.0.0.1:9/v1"], "--model is required with a server"],
  ])("the engine rule, as generate's: %j exits 2", async (extra, message) => {
    const out = path.join(tmp, "engine-rule");
    const r = await runCli(["eval", "--benchmarks", "humaneval-plus", "--out", out, ...extra], {
      env: { OPENAI_BASE_URL: "" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  it("without --benchmarks or --out: exit 2 naming the flag", async () => {
    const a = await runCli(["eval", "--model", "gemma-2-2b", "--out", path.join(tmp, "x")]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("--benchmarks is required");
    const b = await runCli(["eval", "--benchmarks", "humaneval-plus", "--model", "gemma-2-2b"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("--out <dir> is required");
  });
});
