/**
 * How long the README's first command (`npm run demo`: the five sample problems on the in-process
 * engine) takes on this machine, estimated without the real weights: measure how fast a model of
 * Qwen2.5-0.5B's shape evaluates prompts and generates tokens here (random weights compute exactly
 * what real ones do), then price a problem's calls in those tokens.
 *
 *   npx tsx scripts/estimate-first-run.ts [--threads N] [--parallel N] [--mbps 50]
 *
 * A problem's cost, with the default budget (24 iterations, 3 branches): an iteration is 7 calls, a
 * reflection (~40 tokens written), 3 proposed steps (~60 each) and 3 scores (`Score: N` under the
 * grammar, ~4 tokens each); then the code (~300 tokens). Prompts are 300-500 tokens by the model's
 * tokenizer, ~20% of them reused from a sequence's cache (what the CLI tests' runs show). A model
 * that ends its plans after 4-5 steps (the benchmark's scripted one: 30 calls a problem) runs about
 * 4.5 iterations; one that never says <end> runs all 24. The model here is Q8_0 (the file the real
 * run downloads is Q4_K_M, 60% of the bytes, so generation there is somewhat faster).
 */
import * as os from "node:os";
import { parseArgs } from "node:util";
import { createLlamaCppLlm, type LlamaCppEngine } from "../src/llm/llama-cpp/llama-cpp-llm.js";
import { QWEN05B_SHAPE, tinyGguf } from "../test/support/tiny-gguf.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string" },
    parallel: { type: "string", default: "4" },
    mbps: { type: "string", default: "50" },
  },
});

/** Tokens written and new prompt tokens evaluated per iteration, and for the code stage. */
const PER_ITERATION = { written: 40 + 3 * 60 + 3 * 4, calls: 7 };
const PROMPT_TOKENS = 400;
const REUSED = 0.2;
const CODE = { written: 300, prompt: 500 };
const PROBLEMS = 5;
const DOWNLOAD_MB = 398;

const words = (seed: number, n: number): string =>
  Array.from({ length: n }, (_, k) => `w${(seed * 7919 + k * 104729) % 10007}`).join(" ");

/** Tokens per second of `parallel` requests at once: prompt tokens (1 asked) or generated ones. */
async function rate(engine: LlamaCppEngine, parallel: number, kind: "prompt" | "generated"): Promise<number> {
  const t0 = performance.now();
  const replies = await Promise.all(
    Array.from({ length: parallel }, (_, i) =>
      engine.llm.complete({
        purpose: "propose",
        messages: [
          { role: "user", content: words(i + (kind === "prompt" ? 100 : 0), kind === "prompt" ? 120 : 2) },
        ],
        maxTokens: kind === "prompt" ? 1 : 48,
        temperature: 0.7,
        topP: 0.9,
        seed: i,
      }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  const tokens = replies.reduce((n, r) => n + (kind === "prompt" ? r.promptTokens : r.completionTokens), 0);
  return tokens / seconds;
}

function minutes(sec: number): string {
  return sec < 90 ? `${Math.round(sec)} s` : `${(sec / 60).toFixed(1)} min`;
}

const parallel = Number(values.parallel);
// Without --threads: the engine's own default for this machine (the cores less one).
const engine = await createLlamaCppLlm({
  modelPath: await tinyGguf(QWEN05B_SHAPE),
  systemRole: true,
  parallel,
  ...(values.threads ? { threads: Number(values.threads) } : {}),
  gpu: false,
  contextSize: 2048,
});
const { threads } = engine.describe();
const prompt = await rate(engine, parallel, "prompt");
const generated = await rate(engine, parallel, "generated");
await engine.close();

const download = (DOWNLOAD_MB * 8) / Number(values.mbps);
process.stdout.write(
  `\n0.5B-shaped model (Q8_0), ${threads} thread(s), ${parallel} sequences, ${os.availableParallelism()} CPUs, load ${os.loadavg()[0]?.toFixed(1)}:\n` +
    `  prompt evaluation ${prompt.toFixed(0)} tokens/s, generation ${generated.toFixed(1)} tokens/s (over the sequences)\n\n` +
    "| plans end after | calls per problem | written / prompt tokens per problem | per problem | 5 problems | first run, with the download |\n" +
    "|---|---:|---:|---:|---:|---:|\n",
);
for (const [label, iterations] of [
  ["4-5 steps", 4.5],
  ["never (24 iterations)", 24],
] as const) {
  const written = PER_ITERATION.written * iterations + CODE.written;
  const promptTokens = PER_ITERATION.calls * iterations * PROMPT_TOKENS * (1 - REUSED) + CODE.prompt;
  const perProblem = written / generated + promptTokens / prompt;
  const calls = Math.round(PER_ITERATION.calls * iterations + 1);
  process.stdout.write(
    `| ${label} | ${calls} | ${Math.round(written)} / ${Math.round(promptTokens)} | ${minutes(perProblem)} | ${minutes(perProblem * PROBLEMS)} | ${minutes(perProblem * PROBLEMS + download + 5)} |\n`,
  );
}
process.stdout.write(
  `\n(download: ${DOWNLOAD_MB} MB at ${values.mbps} Mbit/s = ${minutes(download)}; start-up ~5 s)\n`,
);
