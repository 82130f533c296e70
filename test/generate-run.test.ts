/**
 * `sra generate` end to end through the real CLI and the fake server: concurrency, stages, the CoT
 * baseline, --max-failures and --retry-failures, the server check, Ctrl-C, and the API key never
 * reaching a file.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleSchema } from "../src/types.js";
import { CLI, ROOT, runCli } from "./support/cli.js";
import {
  type FakeServer,
  type FakeServerOptions,
  startFakeOpenAiServer,
} from "./support/fake-openai-server.js";
import { readJsonlStrict as readJsonl } from "./support/jsonl-files.js";
import { createPlanScript } from "./support/plan-script.js";

let tmp: string;
let problems: string;
const servers: FakeServer[] = [];

const QUESTIONS = Array.from(
  { length: 8 },
  (_, i) =>
    `Task ${i}: return the ${["longest", "shortest", "first", "last"][i % 4]} word of a sentence of ${i + 3} words.`,
);

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-gen-run-"));
  problems = path.join(tmp, "problems.jsonl");
  await fsp.writeFile(problems, `${QUESTIONS.map((q) => JSON.stringify({ question: q })).join("\n")}\n`);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function serve(options: Partial<FakeServerOptions> = {}): Promise<FakeServer> {
  const s = await startFakeOpenAiServer({
    script: createPlanScript({ endAfterSteps: 2, seed: 3 }),
    models: ["google/gemma-2-2b-it"],
    latency: { baseMs: 3, perTokenMs: 0 },
    ...options,
  });
  servers.push(s);
  return s;
}

function args(url: string, out: string, extra: string[] = []): string[] {
  return [
    "generate",
    "--model",
    "gemma-2-2b",
    "--base-url",
    url,
    "--problems",
    problems,
    "--out",
    out,
    "--iterations",
    "6",
    "--no-progress",
    ...extra,
  ];
}

const ids = (file: string) => readJsonl(file).map((r) => r.id as string);

/** `sra generate` in a child process, returned once its first sample is on disk. */
async function startUntilFirstSample(url: string, out: string, concurrency: number) {
  const child = spawn(process.execPath, [CLI, ...args(url, out, ["--concurrency", String(concurrency)])], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let text = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    text += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (ids(path.join(out, "samples.jsonl")).length < 1) {
    if (Date.now() > deadline) throw new Error(`no sample in time: ${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, exited, stderr: () => text };
}
const summaryOf = (out: string) => JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8"));

describe("sra generate: a run", () => {
  it("runs problems concurrently and writes complete samples", async () => {
    const server = await serve({ latency: { baseMs: 10, perTokenMs: 0 } });
    const out = path.join(tmp, "concurrent");
    const r = await runCli(args(server.url, out, ["--concurrency", "4"]));
    expect(r.code, r.stderr).toBe(0);
    expect(server.maxInFlight()).toBeGreaterThan(1);
    const samples = readJsonl(path.join(out, "samples.jsonl")).map((s) => sampleSchema.parse(s));
    expect(samples).toHaveLength(QUESTIONS.length);
    for (const s of samples) {
      expect(s.steps.length).toBeGreaterThanOrEqual(2);
      expect(s.plan.split("\n")[0]).toMatch(/^Step 1: /);
      expect(s.code).toContain("def ");
      expect(s.meta.model).toBe("google/gemma-2-2b-it");
      expect(s.meta.reachedEnd).toBe(true);
      expect(s.meta.calls).toBeGreaterThan(3);
      expect(s.meta.promptTokens).toBeGreaterThan(0);
    }
    // The sample's usage is its plan's plus the code's.
    const plans = new Map(readJsonl(path.join(out, "plans.jsonl")).map((p) => [p.id, p]));
    for (const s of samples) {
      const plan = plans.get(s.id) as { usage: { calls: number } };
      expect(s.meta.calls).toBe(plan.usage.calls + (s.meta.counters.codeAttempts ?? 0));
    }
    const summary = summaryOf(out);
    expect(summary.stopCause).toBe("completed");
    expect(summary.llm.maxInFlight).toBeGreaterThan(1);
    expect(summary.llm.calls).toBe(server.calls.length);
    expect(summary.totals.samples).toBe(QUESTIONS.length);
    expect(r.stderr).toMatch(/per problem: [\d.]+ LLM calls/);
  });

  it("results do not depend on scheduling: concurrency 1 and 4 give the same samples", async () => {
    const runWith = async (concurrency: string) => {
      // A fresh scripted model each time: same seed, same replies to the same prompts.
      const server = await serve({ latency: { baseMs: 2, perTokenMs: 0 } });
      const out = path.join(tmp, `order-${concurrency}`);
      const r = await runCli(args(server.url, out, ["--limit", "5", "--concurrency", concurrency]));
      expect(r.code, r.stderr).toBe(0);
      return new Map(
        readJsonl(path.join(out, "samples.jsonl")).map((s) => {
          const { seconds: _s, ...meta } = s.meta as Record<string, unknown>;
          return [s.id as string, { ...s, meta }];
        }),
      );
    };
    const serial = await runWith("1");
    const parallel = await runWith("4");
    expect(serial.size).toBe(5);
    expect(parallel).toEqual(serial);
  });

  it("--stage plans, then --stage code", async () => {
    const server = await serve();
    const out = path.join(tmp, "staged");
    const plansRun = await runCli(args(server.url, out, ["--stage", "plans", "--limit", "4"]));
    expect(plansRun.code, plansRun.stderr).toBe(0);
    expect(ids(path.join(out, "plans.jsonl"))).toHaveLength(4);
    expect(ids(path.join(out, "trees.jsonl"))).toHaveLength(4);
    expect(ids(path.join(out, "samples.jsonl"))).toHaveLength(0);
    expect(server.calls.some((c) => c.purpose === "implement")).toBe(false);

    const before = server.calls.length;
    const codeRun = await runCli(args(server.url, out, ["--stage", "code", "--limit", "4"]));
    expect(codeRun.code, codeRun.stderr).toBe(0);
    expect(new Set(ids(path.join(out, "samples.jsonl")))).toEqual(
      new Set(ids(path.join(out, "plans.jsonl"))),
    );
    const codeCalls = server.calls.slice(before);
    expect(codeCalls.length).toBeGreaterThanOrEqual(4);
    expect(new Set(codeCalls.map((c) => c.purpose))).toEqual(new Set(["implement"]));
    expect(ids(path.join(out, "plans.jsonl"))).toHaveLength(4);
  });

  it("--strategy cot writes single-pass plans", async () => {
    const server = await serve();
    const out = path.join(tmp, "cot");
    const r = await runCli(args(server.url, out, ["--strategy", "cot", "--limit", "3"]));
    expect(r.code, r.stderr).toBe(0);
    const samples = readJsonl(path.join(out, "samples.jsonl")).map((s) => sampleSchema.parse(s));
    expect(samples).toHaveLength(3);
    for (const s of samples) {
      expect(s.meta.strategy).toBe("cot");
      expect(s.meta.stopReason).toBe("single-pass");
      expect(s.steps.length).toBe(4);
    }
    expect(new Set(server.calls.map((c) => c.purpose))).toEqual(new Set(["cot", "implement"]));
    // A single pass has no <end> to reach: the summary says the drafts were complete.
    expect(r.stderr).toMatch(/plans: 3 \(100% complete, not cut off, mean 4 steps\)/);
    expect(r.stderr).not.toContain("reached <end>");
  });

  it("--max-failures stops a broken run (exit 1), keeps the work; failures are skipped until --retry-failures", async () => {
    let broken = true;
    const good = createPlanScript({ endAfterSteps: 2, seed: 3 });
    const server = await serve({
      script: (ctx) =>
        broken && ctx.purpose === "implement" ? "Sorry, I cannot write code for this." : good(ctx),
    });
    const out = path.join(tmp, "failing");
    const r = await runCli(args(server.url, out, ["--max-failures", "2", "--concurrency", "1"]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/3 problems failed \(--max-failures 2\)/);
    const failures = readJsonl(path.join(out, "failures.jsonl"));
    expect(failures).toHaveLength(3);
    expect(failures[0]).toMatchObject({ stage: "code", kind: "no-code", attempts: 3 });
    // The plans of the failed problems were kept.
    expect(ids(path.join(out, "plans.jsonl"))).toHaveLength(3);
    expect(summaryOf(out).stopCause).toBe("max-failures");

    broken = false;
    const rest = await runCli(args(server.url, out, ["--max-failures", "none"]));
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stderr).toContain("3 failed earlier");
    expect(ids(path.join(out, "samples.jsonl"))).toHaveLength(QUESTIONS.length - 3);

    const before = server.calls.length;
    const retry = await runCli(args(server.url, out, ["--retry-failures"]));
    expect(retry.code, retry.stderr).toBe(0);
    const all = ids(path.join(out, "samples.jsonl"));
    expect(new Set(all).size).toBe(QUESTIONS.length);
    expect(all).toHaveLength(QUESTIONS.length);
    expect(readJsonl(path.join(out, "failures.jsonl"))).toEqual([]);
    // Their plans existed: only code was redone.
    expect(new Set(server.calls.slice(before).map((c) => c.purpose))).toEqual(new Set(["implement"]));
    expect(ids(path.join(out, "plans.jsonl"))).toHaveLength(QUESTIONS.length);
  });

  it("validates the whole problems file first (strict), or skips and counts with --skip-invalid", async () => {
    const server = await serve();
    const bad = path.join(tmp, "bad-problems.jsonl");
    await fsp.writeFile(
      bad,
      `${[
        JSON.stringify({ question: QUESTIONS[0] }),
        "{not json",
        JSON.stringify({ q: "no question field" }),
      ].join("\n")}\n`,
    );
    const out = path.join(tmp, "strict");
    const base = [
      "generate",
      "--model",
      "gemma-2-2b",
      "--base-url",
      server.url,
      "--out",
      out,
      "--no-progress",
    ];
    const strict = await runCli([...base, "--problems", bad]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/2 invalid input records/);
    expect(strict.stderr).toContain("bad-problems.jsonl:2");
    expect(strict.stderr).toContain("bad-problems.jsonl:3");
    expect(server.calls).toHaveLength(0);
    await expect(fsp.access(out)).rejects.toThrow();

    const skipping = await runCli([...base, "--problems", bad, "--skip-invalid", "--iterations", "4"]);
    expect(skipping.code, skipping.stderr).toBe(0);
    expect(skipping.stderr).toContain("skipped 2 invalid problem records");
    expect(ids(path.join(out, "samples.jsonl"))).toHaveLength(1);
    expect(summaryOf(out).problems).toMatchObject({ inFile: 1, invalidSkipped: 2, selected: 1 });
  });

  it("refuses to resume with a result-affecting change, lists the fields, exit 2", async () => {
    const server = await serve();
    const out = path.join(tmp, "conflict");
    expect((await runCli(args(server.url, out, ["--limit", "1"]))).code).toBe(0);
    const r = await runCli(args(server.url, out, ["--limit", "1", "--c", "0.9", "--seed", "4"]));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("seed: the run has 0, this command has 4");
    expect(r.stderr).toContain("search.c: the run has 0.5, this command has 0.9");
    expect(r.stderr).toMatch(/hint: .*new --out/);
    // Edited prompts change results too.
    const prompts = path.join(tmp, "edited-prompts");
    await fsp.cp(path.join(ROOT, "prompts"), prompts, { recursive: true });
    const implement = path.join(prompts, "implement.md");
    await fsp.appendFile(implement, "\nWrite type hints.\n");
    const edited = await runCli(args(server.url, out, ["--limit", "1", "--prompts-dir", prompts]));
    expect(edited.code).toBe(2);
    expect(edited.stderr).toMatch(/prompts\.hash: the run has "sha256:[0-9a-f]+", this command has "sha256:/);
  });
});

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe("sra generate: the server check fails fast (exit 1)", () => {
  it.each([
    [
      "unreachable",
      async () => `http://127.0.0.1:${await freePort()}/v1`,
      {},
      /cannot reach .*is the server running/,
    ],
    [
      "401",
      async () => (await serve({ apiKey: "sk-right-key" })).url,
      { OPENAI_API_KEY: "sk-wrong-key" },
      /rejected the API key.*401/,
    ],
    [
      "model not served",
      async () => (await serve({ models: ["some/other-model", "another"] })).url,
      {},
      /model google\/gemma-2-2b-it is not served .*it serves: some\/other-model, another/,
    ],
  ])("%s", async (_name, url, env, message) => {
    const out = path.join(tmp, `check-${_name.replace(/\W/g, "-")}`);
    const t0 = Date.now();
    const r = await runCli(args(await url(), out), { env: { OPENAI_API_KEY: undefined, ...env } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(ids(path.join(out, "samples.jsonl"))).toEqual([]);
  });
});

describe("sra generate: secrets and signals", () => {
  it("never writes the API key to any run file or log", async () => {
    const marker = "sk-MARKER-7f3a9c2e51d04b68";
    const server = await serve({ apiKey: marker });
    const out = path.join(tmp, "secret");
    const r = await runCli(args(server.url, out, ["--limit", "2", "--log-level", "trace"]), {
      env: { OPENAI_API_KEY: marker },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(server.calls.every((c) => c.authorization === `Bearer ${marker}`)).toBe(true);
    const files = readdirSync(out);
    expect(files).toEqual(
      expect.arrayContaining(["config.json", "generate.log", "samples.jsonl", "summary.json", "trees.jsonl"]),
    );
    for (const f of files) expect(readFileSync(path.join(out, f), "utf8"), f).not.toContain(marker);
    expect(r.stderr).not.toContain(marker);
    expect(readFileSync(path.join(out, "config.json"), "utf8")).toContain('"apiKeyEnv": "OPENAI_API_KEY"');
    // A named variable that is not set is a usage error.
    const unset = await runCli(
      args(server.url, path.join(tmp, "secret2"), ["--api-key-env", "SRA_NO_SUCH_KEY"]),
    );
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain("SRA_NO_SUCH_KEY");
  });

  it("Ctrl-C stops the run, keeps finished work, writes the summary and exits 130", async () => {
    const server = await serve({ latency: { baseMs: 25, perTokenMs: 0 } });
    const out = path.join(tmp, "sigint");
    const { child, exited, stderr } = await startUntilFirstSample(server.url, out, 2);
    const t0 = Date.now();
    child.kill("SIGINT");
    const code = await exited;
    expect(code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(stderr()).toContain("Ctrl-C: stopping");
    expect(stderr()).toMatch(/interrupted/);
    const summary = summaryOf(out);
    expect(summary.stopCause).toBe("interrupted");
    const done = ids(path.join(out, "samples.jsonl"));
    expect(done.length).toBeLessThan(QUESTIONS.length);
    // Aborted problems are not failures; the rerun finishes them.
    expect(readJsonl(path.join(out, "failures.jsonl"))).toEqual([]);
    const rerun = await runCli(args(server.url, out, ["--concurrency", "2"]));
    expect(rerun.code, rerun.stderr).toBe(0);
    const all = ids(path.join(out, "samples.jsonl"));
    expect(all).toHaveLength(QUESTIONS.length);
    expect(new Set(all).size).toBe(QUESTIONS.length);
    expect(new Set(ids(path.join(out, "trees.jsonl"))).size).toBe(ids(path.join(out, "trees.jsonl")).length);
  });

  it("a second Ctrl-C exits at once with 130; the files stay whole and a rerun finishes the run", async () => {
    const server = await serve({ latency: { baseMs: 25, perTokenMs: 0 } });
    const out = path.join(tmp, "sigint-twice");
    const { child, exited, stderr } = await startUntilFirstSample(server.url, out, 4);
    child.kill("SIGINT");
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr()).toContain("Ctrl-C: stopping");
    // Whatever the second signal cut short, every line on disk is a whole record: each record is one
    // write(2), which an exit does not cut in half (readJsonl fails on any line that does not parse).
    for (const f of ["samples.jsonl", "plans.jsonl", "trees.jsonl"]) ids(path.join(out, f));
    const rerun = await runCli(args(server.url, out, ["--concurrency", "4"]));
    expect(rerun.code, rerun.stderr).toBe(0);
    const all = ids(path.join(out, "samples.jsonl"));
    expect(all).toHaveLength(QUESTIONS.length);
    expect(new Set(all).size).toBe(QUESTIONS.length);
    expect(readJsonl(path.join(out, "failures.jsonl"))).toEqual([]);
  });
});
