/**
 * What the request journal costs per LLM call, without the HTTP stack's noise: `sra generate` runs in
 * this process on N LeetCode problems against an in-process model (the benchmark's fake model, replies
 * at once), with the journal and with --no-journal, alternating (A B A B ...), and the process's CPU
 * time (user + system) is divided by the calls. On a shared machine the HTTP benchmark's runs differ by
 * more than the journal costs (npm run bench:generate -- --journal-ab); here the difference is the
 * journal's: hashing the request, one write(2) per reply, a file per problem.
 *
 *   npm run bench:journal -- [--n 256] [--repeat 5] [--concurrency 256]
 *
 * With --n equal to --concurrency every problem makes its journal file; with more problems than
 * --concurrency the files are reused (journal-files.ts), as in a long run.
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { runGenerate } from "../src/commands/generate.js";
import type { LlmStack, LlmStackStats } from "../src/llm/create-llm-stack.js";
import type { CompletionRequest, CompletionResult, Llm } from "../src/llm/types.js";
import {
  type FakeRequestContext,
  roughTokens,
  startFakeOpenAiServer,
} from "../test/support/fake-openai-server.js";
import { createBenchModel, createProblemMatcher, readQuestions } from "./bench-generate/model.js";

const { values: flags } = parseArgs({
  options: {
    n: { type: "string", default: "256" },
    repeat: { type: "string", default: "5" },
    concurrency: { type: "string", default: "256" },
    problems: { type: "string", default: path.resolve("../shared/datasets/leetcode-uneasy.jsonl") },
  },
});
const N = Number(flags.n);
const REPEAT = Number(flags.repeat);
const MODEL = "bench-model";

/** The fake model, called in-process: the same replies the HTTP benchmark's server gives. */
function inProcessStack(problems: string): { stack: LlmStack; calls: () => number } {
  const model = createBenchModel(createProblemMatcher(readQuestions(problems)), [3]);
  let calls = 0;
  const llm: Llm = {
    async complete(request: CompletionRequest): Promise<CompletionResult> {
      const index = calls++;
      const user = [...request.messages].reverse().find((m) => m.role === "user")?.content ?? "";
      const body = { model: MODEL, messages: request.messages };
      const ctx: FakeRequestContext = { index, purpose: request.purpose, body, headers: {}, prompt: user };
      const reply = await model(ctx);
      const text = typeof reply === "string" ? reply : (reply.content ?? "");
      const promptTokens = request.messages.reduce((n, m) => n + roughTokens(m.content), 0);
      return { text, finishReason: "stop", promptTokens, completionTokens: roughTokens(text) };
    },
  };
  const stats = (): LlmStackStats => ({
    calls,
    attempts: calls,
    retries: 0,
    failures: 0,
    promptTokens: 0,
    completionTokens: 0,
    estimatedUsageCalls: 0,
    inFlight: 0,
    queued: 0,
    cap: 1,
    maxInFlight: 0,
    capDecreases: 0,
    capIncreases: 0,
    waitingForServer: false,
    outages: 0,
    outageMs: 0,
    endpoints: [],
  });
  const describe = () => ({ engine: "openai" as const, endpoints: [] });
  return { stack: { llm, stats, describe, close: async () => undefined }, calls: () => calls };
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;

async function main(): Promise<void> {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-bench-journal-"));
  // Only for the server check before the run: the completions stay in this process.
  const server = await startFakeOpenAiServer({ models: [MODEL], script: () => "ok" });
  const perCall: Record<"journal" | "no-journal", number[]> = { journal: [], "no-journal": [] };
  const stderr = { write: () => true };
  try {
    for (let k = 0; k < REPEAT; k++) {
      for (const variant of ["journal", "no-journal"] as const) {
        const { stack, calls } = inProcessStack(flags.problems);
        const out = path.join(tmp, `${variant}-${k}`);
        const t0 = cpuMs();
        await runGenerate(
          {
            out,
            progress: false,
            logLevel: "silent",
            settings: {
              model: MODEL,
              input: { problems: flags.problems, limit: N },
              server: { baseUrls: [server.url] },
              run: { concurrency: Number(flags.concurrency), journal: variant === "journal" },
            },
          },
          { stderr, env: {}, llmStack: () => stack },
        );
        const us = ((cpuMs() - t0) / calls()) * 1000;
        perCall[variant].push(us);
        process.stderr.write(
          `  ${variant.padEnd(10)} run ${k + 1}: ${calls()} calls, ${us.toFixed(1)} us CPU per call\n`,
        );
        await fsp.rm(out, { recursive: true, force: true });
      }
    }
  } finally {
    await server.close();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  const a = median(perCall.journal);
  const b = median(perCall["no-journal"]);
  process.stdout.write(
    `### The request journal's CPU per LLM call, sra generate in-process (${N} problems, load ${os.loadavg()[0]?.toFixed(1)})\n\n` +
      `| median of ${REPEAT} runs each | journal | --no-journal | difference | ratio |\n|---|---:|---:|---:|---:|\n` +
      `| sra CPU per LLM call (us) | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a - b).toFixed(1)} | ${(a / b).toFixed(3)}x |\n`,
  );
}

await main();
