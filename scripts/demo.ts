/**
 * The README's first command: the whole pipeline on a new machine, no GPU and no server.
 *
 * With the in-process engine and its model (qwen2.5-0.5b's GGUF: from the cache, downloaded once
 * with progress, or a local file with --gguf): decontaminate datasets/sample-problems.jsonl, generate
 * Question/Plan/Code samples with the real model in this machine's CPU (llama.cpp), export them for
 * LLaMA-Factory and print the run's stats, into runs/demo/.
 *
 * Without (offline with nothing cached, or the engine not installed): one line saying so, then the
 * stand-in demo: the first 20 problems of the paper's LeetCode set against a scripted fake
 * OpenAI-compatible server on loopback, into runs/demo-stand-in/.
 *
 * Every step is the real CLI (dist/src/cli.js) in a child process. Rerunning resumes: generate adds
 * nothing the second time.
 *
 *   npm run demo -- [--gguf FILE] [--stand-in] [--limit N] [--out DIR] [--datasets-dir DIR] [--fresh]
 *                   [-- more sra generate flags, e.g. --iterations 8]
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeError, EngineError, EngineMissingError, PythonNotFoundError } from "../src/errors.js";
import { findPython } from "../src/execute/python.js";
import { downloadProgressPrinter } from "../src/llm/llama-cpp/download-progress.js";
import { importEngine } from "../src/llm/llama-cpp/load-engine.js";
import { defaultModelsDir, type ModelFile, resolveGguf } from "../src/llm/llama-cpp/model-file.js";
import { DEFAULT_IN_PROCESS_MODEL } from "../src/llm/llm-settings.js";
import { loadPresets, resolveModel } from "../src/llm/presets.js";
import { startFakeOpenAiServer } from "../test/support/fake-openai-server.js";
import { createPlanScript } from "../test/support/plan-script.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "dist/src/cli.js");

const { values, positionals: extra } = parseArgs({
  allowPositionals: true,
  options: {
    gguf: { type: "string" },
    "stand-in": { type: "boolean", default: false },
    limit: { type: "string" },
    out: { type: "string" },
    "datasets-dir": { type: "string", default: path.resolve(ROOT, "../shared/datasets") },
    "latency-ms": { type: "string", default: "20" },
    fresh: { type: "boolean", default: false },
  },
});

const datasets = path.resolve(values["datasets-dir"]);
if (!existsSync(CLI)) {
  process.stderr.write("demo: build first: npm run build\n");
  process.exit(2);
}

/** Run the CLI as a child (stdio inherited: its progress bar and summary are the user's). */
function sra(args: string[]): Promise<number> {
  process.stdout.write(`\n$ sra ${args.join(" ")}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/** Whether a run directory holds at least one sample (export refuses an empty input). */
function hasSamples(args: string[]): boolean {
  const input = args[args.indexOf("--input") + 1] as string;
  const file = path.join(input, "samples.jsonl");
  return existsSync(file) && statSync(file).size > 0;
}

/** The steps, in order; the first that fails ends the demo with its exit code. */
async function runSteps(steps: string[][]): Promise<number> {
  for (const args of steps) {
    if (args[0] === "export" && !hasSamples(args)) {
      process.stdout.write("\ndemo: no samples to export (every problem failed: see run/failures.jsonl)\n");
      continue;
    }
    const code = await sra(args);
    if (code !== 0) {
      process.stderr.write(`demo: sra ${args[0]} exited with ${code}\n`);
      return code;
    }
  }
  return 0;
}

function outDir(fallback: string): string {
  const out = path.resolve(values.out ?? fallback);
  if (values.fresh) rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  return out;
}

/**
 * generate compiles and tests its code with Python (code checks); a machine without one still runs the
 * demo, with the samples unchecked, and says so. `--python` or `--no-check-code` after `--` wins.
 */
function codeCheckFlags(): string[] {
  if (extra.some((a) => a === "--python" || a === "--no-check-code")) return [];
  try {
    findPython();
    return [];
  } catch (e) {
    if (!(e instanceof PythonNotFoundError)) throw e;
    process.stderr.write(`demo: ${e.message}: generate writes its samples unchecked (--no-check-code)\n`);
    return ["--no-check-code"];
  }
}

/** decontaminate, then export and stats around a generate with `generate` flags. */
function pipeline(problems: string, out: string, generate: string[], baseModel: string): string[][] {
  const clean = path.join(out, "clean.jsonl");
  const run = path.join(out, "run");
  const datasetsDir = existsSync(datasets) ? ["--datasets-dir", datasets] : [];
  return [
    [
      "decontaminate",
      problems,
      "-o",
      clean,
      "--report",
      path.join(out, "decontamination-report.json"),
      ...datasetsDir,
    ],
    ["generate", "--problems", clean, "--out", run, ...codeCheckFlags(), ...generate],
    [
      "export",
      "--format",
      "llamafactory",
      "--input",
      run,
      "--out",
      path.join(out, "export"),
      "--base-model",
      baseModel,
    ],
    ["stats", run],
  ];
}

/**
 * The model file for the in-process run, or why there is none: the one line the demo prints before
 * it falls back to the stand-in.
 */
async function inProcessModel(): Promise<{ file: ModelFile } | { why: string }> {
  try {
    const engine = await importEngine();
    const preset = resolveModel(DEFAULT_IN_PROCESS_MODEL, await loadPresets());
    const download = downloadProgressPrinter(process.stderr);
    try {
      const file = await resolveGguf(engine, {
        ...(values.gguf ? { localPath: values.gguf } : {}),
        model: preset,
        modelsDir: defaultModelsDir(),
        onProgress: download.onProgress,
      });
      return { file };
    } finally {
      download.end();
    }
  } catch (e) {
    if (e instanceof EngineMissingError)
      return { why: "the in-process engine (node-llama-cpp) is not installed" };
    if (e instanceof EngineError) {
      // The CLI's line ends in its two ways out; the demo's way out is the stand-in (or --gguf).
      return { why: describeError(e).replace(/; use a local file with --gguf PATH.*$/, "") };
    }
    throw e;
  }
}

async function realDemo(file: ModelFile): Promise<number> {
  const out = outDir("runs/demo");
  const problems = path.join(ROOT, "datasets", "sample-problems.jsonl");
  const generate = [
    ...(values.gguf ? ["--gguf", file.path] : []),
    ...(values.limit ? ["--limit", values.limit] : []),
    ...extra,
  ];
  const code = await runSteps(pipeline(problems, out, generate, DEFAULT_IN_PROCESS_MODEL));
  process.stdout.write(
    `\nThe model was ${values.gguf ? file.path : DEFAULT_IN_PROCESS_MODEL} in this process (llama.cpp on ${file.path}); outputs in ${out}.\n` +
      "For real runs, serve the model with vLLM and point sra at it: sra generate --model gemma-2-2b --base-url http://localhost:8000/v1 ...\n",
  );
  return code;
}

async function standInDemo(): Promise<number> {
  const problems = path.join(datasets, "leetcode-uneasy.jsonl");
  if (!existsSync(problems)) {
    process.stderr.write(
      `demo: ${problems} not found; pass --datasets-dir DIR (the folder with leetcode-uneasy.jsonl)\n`,
    );
    return 2;
  }
  const out = outDir("runs/demo-stand-in");
  const server = await startFakeOpenAiServer({
    models: ["google/gemma-2-2b-it"],
    slots: 64,
    latency: { baseMs: Number(values["latency-ms"]), perTokenMs: 0 },
    script: createPlanScript({ endAfterSteps: 4, messyScoreRate: 0.1, seed: 0 }),
  });
  const generate = [
    "--model",
    "gemma-2-2b",
    "--base-url",
    server.url,
    "--limit",
    values.limit ?? "20",
    "--no-progress",
    ...extra,
  ];
  try {
    return await runSteps(pipeline(problems, out, generate, "gemma-2-2b"));
  } finally {
    await server.close();
    process.stdout.write(
      `\nThe model was a scripted stand-in server (${server.calls.length} requests, ${values["latency-ms"]} ms each, up to ${server.maxInFlight()} in flight); outputs in ${out}.\n` +
        "With a real server: sra generate --model gemma-2-2b --base-url http://localhost:8000/v1 ...\n",
    );
  }
}

const model = values["stand-in"] ? { why: "--stand-in" } : await inProcessModel();
if ("file" in model) {
  process.exitCode = await realDemo(model.file);
} else {
  if (!values["stand-in"])
    process.stderr.write(
      `demo: ${model.why}; running the stand-in demo instead (a scripted model on loopback; npm run demo -- --gguf FILE runs a local GGUF)\n`,
    );
  process.exitCode = await standInDemo();
}
