/**
 * The in-process engine's speed: generated tokens per second at --parallel 1, 2, 4, 8 (sequences of
 * one context decoding together), and the CPU thread counts 1, 2, 4 that chose the engine's default.
 *
 *   npx tsx scripts/bench-engine.ts [--shape tiny|qwen0.5b] [--tokens N] [--parallel 1,2,4,8]
 *                                   [--threads 1,2,4] [--repeat N] [--json out.json]
 *
 * Models: `tiny` (default) is the test suite's random-weight llama with the real qwen2 tokenizer
 * (2 layers, width 32, ~25 MB): its cost is the per-token overhead (sampling over a 152k vocabulary,
 * node-llama-cpp's batching, the JS side). `qwen0.5b` has the shape of Qwen2.5-0.5B (24 layers, width
 * 896) in Q8_0 with random weights, ~530 MB, made on the first use: its cost is the matrix work of a
 * real small model. Random weights decode at the speed real ones do; only the text is noise.
 *
 * Each cell loads a fresh engine (not timed) and sends 2 x parallel requests at once through
 * complete(), each a different prompt asking for N tokens (random models rarely stop early; a reply
 * that does is counted as it is). Tokens per second are generated tokens over the wall time from the
 * first request to the last reply, prompt evaluation included; "prompt + generated" counts every
 * token the model evaluated. "vs parallel 1" compares cells of the same thread count in this run.
 * With --repeat N each cell is the median of N runs (by tok/s).
 */
import { writeFileSync } from "node:fs";
import * as os from "node:os";
import { createLlamaCppLlm, type RequestEvent } from "../src/llm/llama-cpp/llama-cpp-llm.js";
import { QWEN05B_SHAPE, TINY_SHAPE, tinyGguf } from "../test/support/tiny-gguf.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function list(name: string, fallback: number[]): number[] {
  const v = arg(name);
  return v ? v.split(",").map(Number) : fallback;
}

interface Cell {
  shape: string;
  threads: number;
  parallel: number;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  wallSec: number;
  tokPerSec: number;
  meanLatencySec: number;
  /** The most requests whose decoding overlapped in time (from the engine's request events). */
  maxOverlap: number;
  /** With --repeat: every run's tokens per second (the cell is the median run). */
  runs?: number[];
}

const SYSTEM =
  "You grade plans for solving programming problems. Judge whether the newest step is correct, follows from the steps before it, and brings the plan closer to a complete solution.";

function prompt(i: number): string {
  return `Problem ${i}: given an array of ${10 + i} integers, return the length of the longest strictly increasing subsequence.\n\nSteps before the newest step:\nStep 1: Keep a sorted list of tails.\n\nNewest step:\nStep 2: For each number, binary-search its position among the tails (${i}).`;
}

function maxOverlap(events: readonly RequestEvent[]): number {
  const edges = events.flatMap((e) => [
    { t: e.startedAt, d: 1 },
    { t: e.endedAt, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let cur = 0;
  let best = 0;
  for (const e of edges) {
    cur += e.d;
    best = Math.max(best, cur);
  }
  return best;
}

async function measure(
  shape: string,
  modelPath: string,
  threads: number,
  parallel: number,
  tokens: number,
): Promise<Cell> {
  const events: RequestEvent[] = [];
  const engine = await createLlamaCppLlm({
    modelPath,
    systemRole: true,
    parallel,
    threads,
    gpu: false,
    contextSize: 1024,
    onRequest: (e) => events.push(e),
  });
  try {
    const requests = 2 * parallel;
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: requests }, (_, i) =>
        engine.llm.complete({
          purpose: "evaluate",
          messages: [
            { role: "system", content: SYSTEM },
            { role: "user", content: prompt(i) },
          ],
          temperature: 0.7,
          topP: 0.95,
          maxTokens: tokens,
          seed: i,
        }),
      ),
    );
    const wallSec = (performance.now() - t0) / 1000;
    const completionTokens = results.reduce((s, r) => s + r.completionTokens, 0);
    return {
      shape,
      threads,
      parallel,
      requests,
      promptTokens: results.reduce((s, r) => s + r.promptTokens, 0),
      completionTokens,
      wallSec,
      tokPerSec: completionTokens / wallSec,
      meanLatencySec: events.reduce((s, e) => s + (e.endedAt - e.queuedAt), 0) / events.length / 1000,
      maxOverlap: maxOverlap(events),
    };
  } finally {
    await engine.close();
  }
}

function table(cells: readonly Cell[]): string {
  const header = [
    "model",
    "threads",
    "--parallel",
    "requests",
    "prompt tok",
    "generated tok",
    "wall s",
    "**tok/s**",
    "vs parallel 1",
    "prompt + generated tok/s",
    "mean latency s",
    "max overlapping",
  ];
  const rows = cells.map((c) => {
    const base = cells.find((b) => b.shape === c.shape && b.threads === c.threads && b.parallel === 1);
    return [
      c.shape,
      String(c.threads),
      String(c.parallel),
      String(c.requests),
      String(c.promptTokens),
      String(c.completionTokens),
      c.wallSec.toFixed(2),
      `**${c.tokPerSec.toFixed(1)}**`,
      base ? `${(c.tokPerSec / base.tokPerSec).toFixed(2)}x` : "",
      ((c.promptTokens + c.completionTokens) / c.wallSec).toFixed(1),
      c.meanLatencySec.toFixed(2),
      String(c.maxOverlap),
    ];
  });
  const line = (cols: string[]): string => `| ${cols.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  const shapeName = arg("--shape") ?? "tiny";
  const shape = shapeName === "qwen0.5b" ? QWEN05B_SHAPE : TINY_SHAPE;
  const tokens = Number(arg("--tokens") ?? (shapeName === "tiny" ? 64 : 16));
  const parallels = list("--parallel", [1, 2, 4, 8]);
  const threadCounts = list("--threads", [1, 2, 4]);
  const t = performance.now();
  const modelPath = await tinyGguf(shape);
  process.stderr.write(`model ${modelPath} ready in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  const cells: Cell[] = [];
  // The parallel sweep at the default thread count (1 here), then the thread sweep at 1 and 4 sequences.
  const plan: [number, number][] = [
    ...parallels.map((p): [number, number] => [threadCounts[0] ?? 1, p]),
    ...threadCounts
      .slice(1)
      .flatMap((th) => [1, 4].filter((p) => parallels.includes(p)).map((p): [number, number] => [th, p])),
  ];
  const repeat = Math.max(1, Number(arg("--repeat") ?? 1));
  for (const [threads, parallel] of plan) {
    const runs: Cell[] = [];
    for (let r = 0; r < repeat; r++)
      runs.push(await measure(shapeName, modelPath, threads, parallel, tokens));
    runs.sort((a, b) => a.tokPerSec - b.tokPerSec);
    const cell = runs[Math.floor(runs.length / 2)] as Cell;
    const range = repeat > 1 ? ` (runs ${runs.map((c) => c.tokPerSec.toFixed(1)).join(", ")})` : "";
    process.stderr.write(
      `threads ${threads} parallel ${parallel}: ${cell.tokPerSec.toFixed(1)} tok/s${range}\n`,
    );
    cells.push({ ...cell, runs: runs.map((c) => c.tokPerSec) });
  }
  const load = os.loadavg().map((l) => l.toFixed(2));
  console.log(
    `\nEngine benchmark: ${shapeName} model, ${tokens} tokens per request, median of ${repeat} run(s), ${os.availableParallelism()} CPUs, load average ${load.join(" / ")} at the end\n`,
  );
  console.log(table(cells));
  const json = arg("--json");
  if (json) writeFileSync(json, `${JSON.stringify({ shape: shapeName, tokens, cells }, null, 2)}\n`);
}

await main();
