/**
 * `sra generate` on the in-process engine, through the built CLI as a child process: a real
 * llama.cpp on a tiny random-weight GGUF with a real tokenizer (test/support/tiny-gguf.ts; the
 * 32k-token llama vocabulary, which loads in a fraction of the time of qwen2's 152k, and its reply
 * tokens sample 5x faster: these tests start eight CLI processes; the engine's own tests use qwen2).
 * Its replies are random text, so every problem ends as an explained failure (no code in the reply),
 * and the tests assert what does not depend on the words: every problem accounted for, scores parsed
 * through the grammar, token counts from the tokenizer, resume, Ctrl-C, the model file's download
 * and cache, the offline line, and the missing engine. Each CLI process loads the model (~1-2 s).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatBytes } from "../src/llm/llama-cpp/banner.js";
import { CLI, ROOT, runCli } from "./support/cli.js";
import { closedPort } from "./support/closed-port.js";
import { startFakeHuggingFace } from "./support/fake-hugging-face.js";
import { readJsonlStrict } from "./support/jsonl-files.js";
import { tinyGguf } from "./support/tiny-gguf.js";

const SAMPLE = path.join(ROOT, "datasets", "sample-problems.jsonl");
/** No server in the environment, whatever the machine running the tests has. */
const NO_SERVER = { OPENAI_BASE_URL: "" };

let tmp: string;
let model: string;
/** The model file's size as the banner says it. */
let size: string;
/** The chat wrapper node-llama-cpp picks for a GGUF without a chat template. */
const CHAT_WRAPPER = "Llama2Chat";
let quick: string;
let smallest: string;
let longer: string;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-in-process-"));
  model = await tinyGguf({ vocab: "llama-spm" });
  size = formatBytes((await fsp.stat(model)).size);
  // Short replies: a random model never stops by itself, so the token caps set each call's cost.
  const caps = { stepMaxTokens: 12, reflectMaxTokens: 8, evalMaxTokens: 8 };
  quick = path.join(tmp, "quick.json");
  await fsp.writeFile(
    quick,
    JSON.stringify({ search: { iterations: 2, branches: 2, ...caps }, code: { maxTokens: 16, retries: 0 } }),
  );
  smallest = path.join(tmp, "smallest.json");
  await fsp.writeFile(
    smallest,
    JSON.stringify({ search: { iterations: 1, branches: 1, ...caps }, code: { maxTokens: 16, retries: 0 } }),
  );
  longer = path.join(tmp, "longer.json");
  await fsp.writeFile(
    longer,
    JSON.stringify({
      search: { iterations: 2, branches: 2, ...caps, stepMaxTokens: 32 },
      code: { maxTokens: 32 },
    }),
  );
}, 60_000);

afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

function args(out: string, config: string, extra: string[] = []): string[] {
  return [
    "generate",
    ...["--engine", "llama-cpp", "--gguf", model, "--gpu", "off", "--parallel", "2", "--threads", "1"],
    ...["--problems", SAMPLE, "--out", out, "--config", config, "--max-failures", "none"],
    ...extra,
  ];
}

const sampleIds = (): string[] =>
  readFileSync(SAMPLE, "utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { id: string }).id);
const idsOf = (file: string): string[] => readJsonlStrict<{ id: string }>(file).map((r) => r.id);
const summaryOf = (out: string) => JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8"));

interface Node {
  parentId: number | null;
  score: { parsedAs: string | null; attempts: number };
}

/**
 * The exit code the outcome calls for. A random-weight model rarely writes code, so a run may end with
 * every selected problem failed: exit 1 then, 0 otherwise (the tests pass --max-failures none, so no
 * share of failures short of all of them fails the run).
 */
function expectExitForOutcome(
  r: { code: number | null; stderr: string },
  out: string,
  selected: readonly string[],
): void {
  const done = idsOf(path.join(out, "samples.jsonl")).filter((id) => selected.includes(id)).length;
  expect(r.code, r.stderr).toBe(done === 0 ? 1 : 0);
  if (done === 0)
    expect(r.stderr).toMatch(/^sra: (all \d+ selected problems|the only selected problem) failed/m);
}

/** Every problem of the run is a sample or a recorded failure with a kind and a hint, once each. */
function expectAllAccountedFor(out: string, expected: readonly string[]): void {
  const samples = idsOf(path.join(out, "samples.jsonl"));
  const failures = readJsonlStrict<{ id: string; kind: string; error: string; hint?: string }>(
    path.join(out, "failures.jsonl"),
  );
  const all = [...samples, ...failures.map((f) => f.id)];
  expect(new Set(all).size).toBe(all.length);
  expect([...all].sort()).toEqual([...expected].sort());
  for (const f of failures) {
    expect(f.kind, f.id).toMatch(/^[a-z0-9-]+$/);
    expect(f.error, f.id).not.toBe("");
    expect(f.hint, f.id).toBeTruthy();
  }
  const trees = idsOf(path.join(out, "trees.jsonl"));
  expect(new Set(trees).size).toBe(trees.length);
}

describe("sra generate --engine llama-cpp (a real llama.cpp in the CLI process)", () => {
  it("every problem a sample or an explained failure, scores parsed by the grammar, the tokenizer's counts; a rerun resumes", async () => {
    const out = path.join(tmp, "run");
    const first = await runCli(args(out, quick, ["--limit", "2", "--no-progress"]), { env: NO_SERVER });
    expectExitForOutcome(first, out, sampleIds().slice(0, 2));
    expect(first.stderr).toMatch(/^sra generate: 2 to do of 2 selected; 0 already done, 0 failed earlier$/m);
    expect(first.stderr).toMatch(
      /^ {2}model tiny-llama-spm-\S+ on the in-process engine \(no server; --base-url URL to use one\)/m,
    );
    expect(first.stderr).toContain(
      `  model ${model} (${size}, --gguf) in process: llama.cpp on the CPU, 1 thread, 2 sequences x 4096 tokens, chat template ${CHAT_WRAPPER}\n`,
    );
    expect(first.stderr).toMatch(/engine: llama\.cpp in process, 2 of 2 sequences busy at most/);

    const config = JSON.parse(readFileSync(path.join(out, "config.json"), "utf8"));
    expect(config).toMatchObject({
      engine: "llama-cpp",
      model: { gguf: { path: model, bytes: (await fsp.stat(model)).size } },
      search: { guided: true },
      llamaCpp: { gguf: model, parallel: 2, threads: 1, contextSize: 4096, gpu: "off" },
    });

    // The same command without --limit: the first two are not done again.
    const rest = await runCli(args(out, quick, ["--no-progress"]), { env: NO_SERVER });
    expectExitForOutcome(rest, out, sampleIds());
    expect(rest.stderr).toMatch(/^sra generate: 3 to do of 5 selected; 0 already done, 2 failed earlier$/m);
    expectAllAccountedFor(out, sampleIds());

    // Scores: every evaluation is the grammar's `Score: N`, parsed as guided; no fallback, no re-ask.
    const trees = readJsonlStrict<{ id: string; nodes: Node[]; counters: Record<string, number> }>(
      path.join(out, "trees.jsonl"),
    );
    const scored = trees.flatMap((t) => t.nodes.filter((n) => n.parentId !== null));
    expect(scored.length).toBeGreaterThan(5);
    for (const n of scored) expect(n.score).toMatchObject({ parsedAs: "guided", attempts: 1 });
    for (const t of trees) expect(t.counters["score.fallback"] ?? 0).toBe(0);

    // summary.json of the second invocation: the engine's own counts, from the model's tokenizer.
    const { llm } = summaryOf(out);
    const firstTwo = sampleIds().slice(0, 2);
    const thisRun = trees.filter((t) => !firstTwo.includes(t.id));
    const evaluations = thisRun.flatMap((t) => t.nodes.filter((n) => n.parentId !== null)).length;
    expect(llm).toMatchObject({
      estimatedUsageCalls: 0,
      retries: 0,
      failures: 0,
      maxInFlight: 2,
      finalCap: 2,
    });
    expect(llm.engine).toMatchObject({
      engine: "llama-cpp",
      modelPath: model,
      origin: "local",
      chatWrapper: CHAT_WRAPPER,
      parallel: 2,
      threads: 1,
      requests: llm.calls,
      maxActive: 2,
      promptTokens: llm.promptTokens,
      grammarConstrained: evaluations,
    });
    expect(llm.promptTokens).toBeGreaterThan(llm.calls * 100);
    expect(llm.completionTokens).toBeGreaterThan(0);
    expect(llm.engine.reusedPromptTokens).toBeGreaterThan(0);
  }, 120_000);

  it("Ctrl-C stops at once (exit 130), keeps finished work, and the same command then finishes the rest", async () => {
    const out = path.join(tmp, "sigint");
    const run = args(out, longer, ["--limit", "2"]);
    const { child, exited, stderr } = start(run);
    await until(() => idsOf(path.join(out, "plans.jsonl")).length >= 1, stderr);
    const t0 = Date.now();
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(stderr()).toContain("Ctrl-C: stopping");
    const summary = summaryOf(out);
    expect(summary.stopCause).toBe("interrupted");
    expect(summary.llm.engine).toMatchObject({ engine: "llama-cpp" });
    const kept = idsOf(path.join(out, "plans.jsonl"));
    expect(kept.length).toBeGreaterThanOrEqual(1);

    const rerun = await runCli([...run, "--no-progress"], { env: NO_SERVER });
    expectExitForOutcome(rerun, out, sampleIds().slice(0, 2));
    expectAllAccountedFor(out, sampleIds().slice(0, 2));
    // Plans kept by the interrupted run are not searched again.
    expect(idsOf(path.join(out, "plans.jsonl")).slice(0, kept.length)).toEqual(kept);
    expect(new Set(idsOf(path.join(out, "plans.jsonl"))).size).toBe(
      idsOf(path.join(out, "plans.jsonl")).length,
    );
  }, 120_000);
});

describe("sra generate with no server and no --gguf: the preset's GGUF from Hugging Face", () => {
  it("downloads it once into $SRA_CACHE_DIR/models with progress, then runs from the cache", async () => {
    const hf = await startFakeHuggingFace({
      model,
      repo: "bartowski/Qwen2.5-0.5B-Instruct-GGUF",
      quant: "Q4_K_M",
    });
    const cache = path.join(tmp, "cache-download");
    const env = { ...NO_SERVER, SRA_CACHE_DIR: cache, HF_ENDPOINT: hf.url };
    const mb = `${((await fsp.stat(model)).size / 1e6).toFixed(1)} MB`;
    const base = [
      "generate",
      "--gpu",
      "off",
      "--problems",
      SAMPLE,
      "--config",
      smallest,
      "--no-progress",
      "--limit",
      "1",
      "--max-failures",
      "none",
    ];
    try {
      const out = path.join(tmp, "downloaded");
      const first = await runCli([...base, "--out", out], { env });
      expectExitForOutcome(first, out, sampleIds().slice(0, 1));
      expect(first.stderr).toContain(
        `sra: downloading hf:bartowski/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M: ${mb} / ${mb} (100%)\n`,
      );
      expect(first.stderr).toMatch(/^ {2}model Qwen\/Qwen2\.5-0\.5B-Instruct on the in-process engine/m);
      const file = path.join(cache, "models", (await fsp.readdir(path.join(cache, "models")))[0] as string);
      expect(first.stderr).toContain(
        `  model ${file} (${size}, downloaded) in process: llama.cpp on the CPU`,
      );
      const asked = hf.requests.length;

      const again = await runCli([...base, "--out", path.join(tmp, "from-cache")], { env });
      expectExitForOutcome(again, path.join(tmp, "from-cache"), sampleIds().slice(0, 1));
      expect(again.stderr).not.toContain("downloading");
      expect(again.stderr).toContain(`  model ${file} (${size}, cached) in process:`);
      expect(hf.requests.length).toBe(asked);
      expect(summaryOf(path.join(tmp, "from-cache")).llm.engine).toMatchObject({
        origin: "cache",
        uri: "hf:bartowski/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M",
      });
    } finally {
      await hf.close();
    }
  }, 120_000);

  it("offline with nothing cached: one line naming what could not be downloaded and both ways out; no run directory", async () => {
    const cache = path.join(tmp, "cache-offline");
    const out = path.join(tmp, "offline");
    const r = await runCli(["generate", "--problems", SAMPLE, "--out", out], {
      env: { ...NO_SERVER, SRA_CACHE_DIR: cache, HF_ENDPOINT: `http://127.0.0.1:${await closedPort()}` },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `sra: cannot download the model for "qwen2.5-0.5b" (hf:bartowski/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M) into ${path.join(cache, "models")}: cannot fetch the repo's file list (fetch failed); use a local file with --gguf PATH, or a server with --base-url URL\n`,
    );
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it("without node-llama-cpp installed (npm install --omit=optional): the command that installs it, and --base-url", async () => {
    const install = await copyWithoutEngine();
    const r = await runCli(["generate", "--problems", SAMPLE, "--out", path.join(tmp, "no-engine")], {
      cwd: install,
      env: NO_SERVER,
      cli: path.join(install, "dist", "src", "cli.js"),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `sra: the in-process engine needs node-llama-cpp, which is not installed: run \`npm install --no-save node-llama-cpp@3.21.1\` in ${install}\n` +
        "hint: or use a server instead: --base-url URL (vLLM, Ollama, llama.cpp's server, ...)\n",
    );
    // A server still works there, and `sra models` still lists the presets (cache state unknown).
    const models = await runCli(["models"], {
      cwd: install,
      cli: path.join(install, "dist", "src", "cli.js"),
    });
    expect(models.code, models.stderr).toBe(0);
    expect(models.stdout).toMatch(
      /^qwen2\.5-0\.5b\s.*\sbartowski\/Qwen2\.5-0\.5B-Instruct-GGUF:Q4_K_M\s+\?$/m,
    );
    expect(models.stdout).toMatch(/^CACHED \?: the in-process engine needs node-llama-cpp/m);
  }, 60_000);
});

/**
 * sra as `npm install --omit=optional` leaves it: its own files copied, and every installed package
 * but node-llama-cpp (and its platform builds) linked in.
 */
async function copyWithoutEngine(): Promise<string> {
  const dir = path.join(tmp, "install-without-engine");
  await fsp.mkdir(path.join(dir, "node_modules"), { recursive: true });
  for (const item of ["dist", "configs", "prompts", "package.json"]) {
    await fsp.cp(path.join(ROOT, item), path.join(dir, item), { recursive: true });
  }
  for (const name of await fsp.readdir(path.join(ROOT, "node_modules"))) {
    if (name === "node-llama-cpp" || name === "@node-llama-cpp" || name.startsWith(".")) continue;
    await fsp.symlink(path.join(ROOT, "node_modules", name), path.join(dir, "node_modules", name));
  }
  return dir;
}

function start(cliArgs: string[]): {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, [CLI, ...cliArgs], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...NO_SERVER },
  });
  let text = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    text += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => text };
}

/** Polls the run directory until `check` holds (a child process writes it), for at most 60 s. */
async function until(check: () => boolean, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not in time: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
