/**
 * A fake OpenAI-compatible server that answers like a capable instruct model (test/support/plan-script.ts),
 * so the whole `sra generate` pipeline can be tried without a GPU:
 *
 *   npx tsx scripts/fake-server.ts --port 8000 [--latency-ms 50] [--slots 64] [--end-after 3]
 *       [--messy 0.1] [--seed 0] [--model google/gemma-2-2b-it ...] [--api-key KEY] [--quiet]
 *   node dist/src/cli.js generate --model gemma-2-2b --base-url http://127.0.0.1:8000/v1 \
 *       --problems ../shared/datasets/leetcode-uneasy.jsonl --limit 20 --out runs/demo
 *
 * `sra eval`'s requests (purpose "codegen") on HumanEval(+) and MBPP(+) tasks are answered with the
 * task's canonical solution for about --right percent of the samples (chosen by the task and the
 * request's seed, so a rerun gets the same answers) and with broken code for the rest:
 *
 *   node dist/src/cli.js eval --benchmarks humaneval-plus,mbpp-plus --model gemma-2-2b \
 *       --base-url http://127.0.0.1:8000/v1 --datasets-dir ../shared/datasets --out evals/demo
 *
 * `--apps FILE` (repeatable) adds the tasks of an APPS-shaped file, for `--benchmarks apps:FILE`.
 *
 * It logs one line per request (purpose, requests in flight) and a status line every second, so
 * concurrent requests are visible.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type EvalTask, loadEvalBenchmark } from "../src/benchmarks/eval-tasks.js";
import { createCodegenScript } from "../test/support/codegen-script.js";
import { startFakeOpenAiServer } from "../test/support/fake-openai-server.js";
import { createPlanScript, fnv } from "../test/support/plan-script.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8000" },
    host: { type: "string", default: "127.0.0.1" },
    "latency-ms": { type: "string", default: "50" },
    "per-token-ms": { type: "string", default: "0" },
    slots: { type: "string", default: "64" },
    "end-after": { type: "string", default: "3" },
    messy: { type: "string", default: "0" },
    seed: { type: "string", default: "0" },
    right: { type: "string", default: "50" },
    datasets: { type: "string", default: path.resolve(import.meta.dirname, "../../shared/datasets") },
    model: { type: "string", multiple: true },
    apps: { type: "string", multiple: true },
    "api-key": { type: "string" },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  process.stdout.write(
    "usage: npx tsx scripts/fake-server.ts [--port 8000] [--host 127.0.0.1] [--latency-ms 50] [--per-token-ms 0]\n" +
      "  [--slots 64] [--end-after 3] [--messy 0] [--seed 0] [--right 50] [--datasets DIR]\n" +
      "  [--model NAME ...] [--apps FILE ...] [--api-key KEY] [--quiet]\n",
  );
  process.exit(0);
}

const num = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`fake-server: --${name} must be a number >= 0 (got "${v}")\n`);
    process.exit(2);
  }
  return n;
};

const models = values.model ?? [
  "google/gemma-2-2b-it",
  "meta-llama/Llama-3.1-8B-Instruct",
  "Qwen/Qwen2.5-14B-Instruct",
  "meta-llama/Meta-Llama-3-70B-Instruct",
  "fake-model",
];
let total = 0;
const byPurpose = new Map<string, number>();
/** sra eval's tasks, from the benchmark files in --datasets (none there: eval's requests get "ok"). */
async function evalTasks(dir: string): Promise<EvalTask[]> {
  const sources = { dirs: [dir], cacheDir: dir, baseUrl: "http://127.0.0.1:9", notify: () => undefined };
  const tasks: EvalTask[] = [];
  for (const name of ["humaneval-plus", "mbpp-plus", "mbpp"] as const) {
    const b = await loadEvalBenchmark(name, sources).catch(() => undefined);
    if (b) tasks.push(...b.tasks);
  }
  // APPS-shaped files (--apps FILE), answered the same way: their first solution, or broken code.
  for (const file of values.apps ?? [])
    tasks.push(...(await loadEvalBenchmark(`apps:${file}`, sources)).tasks);
  return tasks;
}

const right = num("right", values.right);
const codegen = createCodegenScript(await evalTasks(values.datasets), (r) =>
  fnv(`${r.taskId}:${r.seed ?? r.occurrence}`) % 100 < right ? "canonical" : "broken",
).script;
const script = createPlanScript({
  endAfterSteps: num("end-after", values["end-after"]),
  messyScoreRate: num("messy", values.messy),
  seed: num("seed", values.seed),
  before: (ctx) => (ctx.purpose === "codegen" ? codegen(ctx) : undefined),
});

const server = await startFakeOpenAiServer({
  port: num("port", values.port),
  host: values.host,
  models,
  slots: num("slots", values.slots) || undefined,
  latency: {
    baseMs: num("latency-ms", values["latency-ms"]),
    perTokenMs: num("per-token-ms", values["per-token-ms"]),
  },
  ...(values["api-key"] ? { apiKey: values["api-key"] } : {}),
  script: (ctx) => {
    total++;
    byPurpose.set(ctx.purpose, (byPurpose.get(ctx.purpose) ?? 0) + 1);
    const pending = server.calls.filter((c) => c.finishedAt === 0).length;
    if (!values.quiet) {
      process.stdout.write(`#${ctx.index} ${ctx.purpose.padEnd(9)} in flight ${pending}\n`);
    }
    return script(ctx);
  },
});

process.stdout.write(`fake OpenAI server on ${server.url} serving ${models.join(", ")}\n`);
let lastTotal = -1;
const timer = setInterval(() => {
  // Forget finished calls: a long demo must not keep every request body.
  const open = server.calls.filter((c) => c.finishedAt === 0);
  server.calls.splice(0, server.calls.length, ...open);
  if (total !== lastTotal) {
    const purposes = [...byPurpose.entries()].map(([p, n]) => `${p} ${n}`).join(", ");
    process.stdout.write(
      `status: ${total} requests (${purposes}); in flight now ${open.length}, max ${server.maxInFlight()}\n`,
    );
    lastTotal = total;
  }
}, 1000);

const shutdown = (): void => {
  clearInterval(timer);
  void server.close().then(() => process.exit(0));
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
