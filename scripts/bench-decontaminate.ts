/**
 * Decontamination speed: the n-gram index against the naive all-pairs comparison, on the paper's
 * LeetCode file and on a synthetic 100,000-problem file, against all five benchmarks.
 *
 *   npx tsx scripts/bench-decontaminate.ts [--problems 100000] [--naive-sample 2000] [--keep]
 *
 * Two measurements. "core": tokenise + match, in this process, for the index (every problem) and the
 * naive all-pairs comparison (its problem's gram set intersected with every item's; on the big file a
 * sample, extrapolated, as the table says); both must give the same overlaps, which is checked.
 * "file to file": the real code path, `decontaminate()` from the input file to the kept/removed files
 * and the report, in a child process so its peak RSS is its own.
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { decontaminate } from "../src/commands/decontaminate.js";
import { DEFAULT_AGAINST } from "../src/decontaminate/benchmarks.js";
import { loadBenchmark } from "../src/decontaminate/datasets.js";
import { type BenchmarkItem, NgramIndex } from "../src/decontaminate/ngram-index.js";
import { itemGramSets, naiveMatch, scoreMatch } from "../src/decontaminate/overlap.js";
import { tokenize } from "../src/decontaminate/tokenize.js";
import { readProblems } from "../src/problems/read-problems.js";
import { createRng } from "../src/util/rng.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DATASETS = path.resolve(ROOT, "../shared/datasets");
const LEETCODE = path.join(DATASETS, "leetcode-uneasy.jsonl");
const N = 10;
const THRESHOLD = 0.5;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Child mode: run the command function once and print its time and peak RSS as JSON. */
async function child(input: string, outDir: string): Promise<void> {
  const t0 = performance.now();
  const { report } = await decontaminate({
    input,
    output: path.join(outDir, "clean.jsonl"),
    removed: path.join(outDir, "removed.jsonl"),
    report: path.join(outDir, "report.json"),
    datasetsDir: DATASETS,
    cacheDir: path.join(outDir, "cache"),
    skipInvalid: true,
    stderr: { write: () => true },
  });
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, counts: report.counts })}\n`,
  );
}

interface ChildResult {
  seconds: number;
  maxRssMb: number;
  counts: { problems: number; kept: number; removed: number };
}

function runChild(input: string, outDir: string): ChildResult {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--child", input, outDir],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as ChildResult;
}

/**
 * LeetCode-like problems: each stitched from sentences of real LeetCode statements (so the vocabulary
 * and length match), with fresh numbers in the examples; 1% carry a whole benchmark text pasted in, 1%
 * carry half of one, so the index has real matches to find.
 */
async function writeSynthetic(file: string, count: number, items: readonly BenchmarkItem[]): Promise<void> {
  const rng = createRng(20241121);
  const questions = readFileSync(LEETCODE, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { question: string }).question);
  const sentences = questions.flatMap((q) => q.split(/(?<=[.!?])\s+|\n+/).filter((s) => s.trim().length > 0));
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    const len = 4 + rng.int(10);
    for (let k = 0; k < len; k++) parts.push(rng.pick(sentences));
    parts.push(
      `**Example:** Input: nums = [${[0, 1, 2, 3].map(() => rng.int(1000)).join(",")}], k = ${rng.int(50)}`,
    );
    const roll = rng.next();
    if (roll < 0.01) {
      parts.splice(rng.int(parts.length), 0, rng.pick(items).text);
    } else if (roll < 0.02) {
      const words = rng.pick(items).text.split(/\s+/);
      parts.splice(rng.int(parts.length), 0, words.slice(0, Math.ceil(words.length / 2)).join(" "));
    }
    const line = `${JSON.stringify({ id: `syn-${i}`, question: parts.join(" ") })}\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

async function loadItems(cacheDir: string): Promise<BenchmarkItem[]> {
  const sources = { dirs: [DATASETS], cacheDir, baseUrl: undefined, notify: () => undefined };
  const items: BenchmarkItem[] = [];
  for (const name of DEFAULT_AGAINST) items.push(...(await loadBenchmark(name, sources)).extracted.items);
  return items;
}

/**
 * The matching core both ways, in this process: tokenise + match, nothing else. The index runs on every
 * problem; the naive way on the first `sample` (extrapolated). Checks that both decide alike.
 */
async function timeCores(
  file: string,
  sample: number,
  items: readonly BenchmarkItem[],
): Promise<{ indexPerSecond: number; naivePerSecond: number; measured: number; disagreements: number }> {
  const index = NgramIndex.build(items, N, tokenize);
  const benchmarkOf = new Int32Array(items.length);
  const sets = itemGramSets(index, tokenize);
  const questions: string[] = [];
  for await (const p of readProblems(file, { skipInvalid: true })) questions.push(p.question);
  const sampled = questions.slice(0, sample);

  let t0 = performance.now();
  const fast = questions.map((q) => index.matchText(q));
  const indexSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const naive = sampled.map((q) => naiveMatch(tokenize(q), sets, N));
  const naiveSeconds = (performance.now() - t0) / 1000;

  let disagreements = 0;
  sampled.forEach((_, i) => {
    const a = scoreMatch(naive[i]!, index.itemGrams, benchmarkOf, 1, "min").best?.overlap ?? 0;
    const b = scoreMatch(fast[i]!, index.itemGrams, benchmarkOf, 1, "min").best?.overlap ?? 0;
    if (a !== b) disagreements++;
  });
  return {
    indexPerSecond: questions.length / indexSeconds,
    naivePerSecond: sampled.length / naiveSeconds,
    measured: sampled.length,
    disagreements,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

async function main(): Promise<void> {
  if (process.argv.includes("--child")) {
    const i = process.argv.indexOf("--child");
    await child(process.argv[i + 1]!, process.argv[i + 2]!);
    return;
  }
  const count = arg("--problems", 100_000);
  const sample = arg("--naive-sample", 2000);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-bench-decontaminate-"));
  try {
    const items = await loadItems(path.join(dir, "cache"));
    const synthetic = path.join(dir, "synthetic.jsonl");
    const tGen = performance.now();
    await writeSynthetic(synthetic, count, items);
    const { size } = await fsp.stat(synthetic);
    console.error(
      `generated ${count} synthetic problems (${(size / 1e6).toFixed(1)} MB) in ${((performance.now() - tGen) / 1000).toFixed(1)} s`,
    );

    const rate = (x: number) => Math.round(x).toLocaleString("en-US");
    const rows = [
      [
        "input",
        "problems",
        "naive core (problems/s)",
        "index core (problems/s)",
        "core speed-up",
        "sra decontaminate, file to file",
        "end-to-end vs naive",
        "removed",
        "peak RSS (command)",
      ],
    ];
    for (const [name, file] of [
      ["leetcode-uneasy.jsonl", LEETCODE],
      [`synthetic ${count.toLocaleString("en-US")}`, synthetic],
    ] as const) {
      const out = await fsp.mkdtemp(path.join(dir, "out-"));
      const run = runChild(file, out);
      const cores = await timeCores(file, sample, items);
      const e2e = run.counts.problems / run.seconds;
      const naiveNote =
        cores.measured >= run.counts.problems
          ? "all measured"
          : `first ${cores.measured} measured; all would take ~${Math.round(run.counts.problems / cores.naivePerSecond)} s`;
      rows.push([
        name,
        String(run.counts.problems),
        `${rate(cores.naivePerSecond)} (${naiveNote})`,
        rate(cores.indexPerSecond),
        `${Math.round(cores.indexPerSecond / cores.naivePerSecond)}x`,
        `${run.seconds.toFixed(2)} s (${rate(e2e)}/s)`,
        `${Math.round(e2e / cores.naivePerSecond)}x`,
        String(run.counts.removed),
        `${run.maxRssMb.toFixed(0)} MB`,
      ]);
      if (cores.disagreements > 0) {
        console.error(`!! ${name}: index and naive disagree on ${cores.disagreements} problems`);
        process.exitCode = 1;
      }
    }
    console.log(
      `\nsra decontaminate: n=${N}, threshold ${THRESHOLD}, denominator min, against ${DEFAULT_AGAINST.join(",")} (${items.length} items); ${os.cpus().length} CPUs, Node ${process.version}\n`,
    );
    console.log(table(rows));
    console.log(
      "\ncore: tokenise + match one problem against all items (index: hashed gram lookups; naive: the problem's gram set" +
        "\nintersected with every item's, item sets built once and not timed), in this process, same answers checked." +
        "\nfile to file: decontaminate() in a child process: load the five benchmarks, build the index, read and validate" +
        "\nthe JSONL, match, write kept/removed/report atomically; its own peak RSS.",
    );
  } finally {
    if (!process.argv.includes("--keep")) await fsp.rm(dir, { recursive: true, force: true });
    else console.error(`kept ${dir}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
