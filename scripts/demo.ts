/**
 * The whole pipeline on a new machine, with no GPU: decontaminate the paper's LeetCode set, generate
 * Question/Plan/Code samples for the first N problems against the scripted fake OpenAI-compatible
 * server (standing in for vLLM), export them for LLaMA-Factory, and print the run's stats.
 * Every step is the real CLI (dist/src/cli.js) in a child process; only the model is fake.
 * Rerunning resumes: generate adds nothing the second time.
 *
 *   npm run demo -- [--limit 20] [--out runs/demo] [--datasets-dir ../shared/datasets] [--latency-ms 20] [--fresh]
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startFakeOpenAiServer } from "../test/support/fake-openai-server.js";
import { createPlanScript } from "../test/support/plan-script.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "dist/src/cli.js");

const { values } = parseArgs({
  options: {
    limit: { type: "string", default: "20" },
    out: { type: "string", default: "runs/demo" },
    "datasets-dir": { type: "string", default: path.resolve(ROOT, "../shared/datasets") },
    "latency-ms": { type: "string", default: "20" },
    fresh: { type: "boolean", default: false },
  },
});

const out = path.resolve(values.out);
const datasets = path.resolve(values["datasets-dir"]);
const problems = path.join(datasets, "leetcode-uneasy.jsonl");
if (!existsSync(CLI)) {
  process.stderr.write("demo: build first: npm run build\n");
  process.exit(2);
}
if (!existsSync(problems)) {
  process.stderr.write(
    `demo: ${problems} not found; pass --datasets-dir DIR (the folder with leetcode-uneasy.jsonl)\n`,
  );
  process.exit(2);
}
if (values.fresh) rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const server = await startFakeOpenAiServer({
  models: ["google/gemma-2-2b-it"],
  slots: 64,
  latency: { baseMs: Number(values["latency-ms"]), perTokenMs: 0 },
  script: createPlanScript({ endAfterSteps: 4, messyScoreRate: 0.1, seed: 0 }),
});

/** Run the CLI as a child; the fake server keeps answering in this process meanwhile. */
function sra(args: string[]): Promise<number> {
  process.stdout.write(`\n$ sra ${args.join(" ")}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
}

const clean = path.join(out, "clean.jsonl");
const run = path.join(out, "run");
const steps: string[][] = [
  [
    "decontaminate",
    problems,
    "-o",
    clean,
    "--report",
    path.join(out, "decontamination-report.json"),
    "--datasets-dir",
    datasets,
  ],
  [
    "generate",
    "--model",
    "gemma-2-2b",
    "--base-url",
    server.url,
    "--problems",
    clean,
    "--limit",
    values.limit,
    "--out",
    run,
    "--no-progress",
  ],
  [
    "export",
    "--format",
    "llamafactory",
    "--input",
    run,
    "--out",
    path.join(out, "export"),
    "--base-model",
    "gemma-2-2b",
  ],
  ["stats", run],
];
let code = 0;
for (const args of steps) {
  code = await sra(args);
  if (code !== 0) {
    process.stderr.write(`demo: sra ${args[0]} exited with ${code}\n`);
    break;
  }
}
await server.close();
process.stdout.write(
  `\nThe model was the scripted fake server (${server.calls.length} requests, ${values["latency-ms"]} ms each, up to ${server.maxInFlight()} in flight).\n` +
    "With a real server: sra generate --model gemma-2-2b --base-url http://localhost:8000/v1 ...\n",
);
process.exitCode = code;
