/**
 * Executor speed: the canonical HumanEval+ solutions x 10 (1,640 samples, 3,280 checks: base and plus
 * each in a fresh process) and the 399 canonical MBPP+ solutions, with 2 workers, every check run (no
 * reuse of identical samples), against evalplus's own evaluator on this kind of machine (65.8 s and
 * 43 s with 2 workers), with verdicts checked identical (every canonical solution passes base and
 * plus). Variants in the same run:
 *   fork   the default: a warm interpreter per worker forks one sandboxed child per check;
 *   spawn  a fresh interpreter per check (the design without the zygote), on one copy of each
 *          benchmark (at ~0.2-0.4 s per check, x 10 would take a quarter of an hour): its time for
 *          x 10 is that run's times 10, and the table says so;
 *   reuse  fork, with identical samples judged once (evaluateSamples' default).
 * The "floor" is the canonical solutions' own compute (their per-input times, summed, over 2 workers).
 *
 *   npm run bench:eval [-- --quick] [--workers 2] [--json out.json]
 *
 * --quick runs HumanEval+ x 1 instead of x 10. Expected outputs are computed once into
 * .sra-cache/bench-eval (reused by later runs) and not timed with the evaluation, as evalplus caches
 * its ground truth too.
 */
import { readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { type EvalBenchmark, loadEvalBenchmark } from "../src/benchmarks/eval-tasks.js";
import { type ExpectedOutputs, prepareExpected } from "../src/benchmarks/expected.js";
import { type EvalSample, evaluateSamples } from "../src/eval/evaluate.js";
import { Executor } from "../src/execute/executor.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DATASETS = path.resolve(ROOT, "../shared/datasets");
const CACHE = path.join(ROOT, ".sra-cache", "bench-eval");
const EVALPLUS_SECONDS: Record<string, number> = { "humaneval-plus": 65.8, "mbpp-plus": 43 };

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const quick = process.argv.includes("--quick");
const workers = Number(flag("--workers") ?? 2);

interface Row {
  benchmark: string;
  samples: number;
  checks: number;
  variant: "fork" | "spawn" | "reuse";
  /** Copies of the canonical solutions this row ran. */
  copies: number;
  seconds: number;
  checksPerSecond: number;
  allPass: boolean;
  verdicts: string;
  load: [number, number];
  /** CPU seconds of the executor's processes and their children, and of this process. */
  cpuSeconds: number;
}

/** user + system time of a process and of its reaped children (/proc/<pid>/stat, in clock ticks). */
function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[11..14] are utime, stime, cutime, cstime (the 14th-17th of the whole line)
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
  } catch {
    return 0;
  }
}

function executorCpu(ex: Executor): number {
  const { zygotes, judges } = ex.processIds();
  // This process's own time plus every child it has reaped (spawned interpreters that have exited).
  return [process.pid, ...zygotes, ...judges].reduce((sum, pid) => sum + processCpu(pid), 0);
}

function canonicalSamples(b: EvalBenchmark, copies: number): EvalSample[] {
  return b.tasks.flatMap((t) =>
    Array.from({ length: copies }, (_, i) => ({ taskId: t.taskId, index: i, solution: t.canonical ?? "" })),
  );
}

function floorSeconds(expected: ExpectedOutputs, copies: number): number {
  let sum = 0;
  for (const t of expected.tasks.values())
    for (const s of [t.base, t.plus]) if (s) sum += s.times.reduce((a, b) => a + b, 0);
  return (sum * copies) / workers;
}

async function measure(
  variant: Row["variant"],
  b: EvalBenchmark,
  expected: ExpectedOutputs,
  copies: number,
): Promise<Row> {
  const ex = await Executor.start({ workers, mode: variant === "spawn" ? "spawn" : "fork" });
  try {
    const samples = canonicalSamples(b, copies);
    const loadBefore = os.loadavg()[0] ?? 0;
    const cpuBefore = executorCpu(ex);
    const t0 = performance.now();
    const { results, summary } = await evaluateSamples({
      benchmark: b,
      expected,
      executor: ex,
      samples,
      reuseIdentical: variant === "reuse",
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = executorCpu(ex) - cpuBefore;
    const verdicts = results
      .map((r) => `${r.task_id}#${r.index}:${r.base_status}/${r.plus_status}`)
      .join("\n");
    return {
      benchmark: b.name,
      copies,
      samples: samples.length,
      checks: summary.timings.checks,
      variant,
      seconds,
      checksPerSecond: summary.timings.checks / seconds,
      allPass: results.every((r) => r.base_status === "pass" && r.plus_status === "pass"),
      verdicts,
      load: [loadBefore, os.loadavg()[0] ?? 0],
      cpuSeconds,
    };
  } finally {
    await ex.close();
  }
}

async function main(): Promise<void> {
  const sources = {
    dirs: [DATASETS],
    cacheDir: path.join(CACHE, "datasets"),
    baseUrl: undefined,
    notify: (m: string) => process.stderr.write(`${m}\n`),
  };
  const plan: [string, number][] = [
    ["humaneval-plus", quick ? 1 : 10],
    ["mbpp-plus", 1],
  ];
  const rows: Row[] = [];
  const floors: Record<string, number> = {};
  for (const [name, copies] of plan) {
    const b = await loadEvalBenchmark(name, sources);
    const prep = await Executor.start({ workers });
    const expected = await prepareExpected(b, prep, { cacheDir: CACHE });
    await prep.close();
    process.stderr.write(
      `${name}: expected outputs ${expected.computed ? `computed in ${expected.seconds.toFixed(1)} s` : "from the cache"}\n`,
    );
    floors[name] = floorSeconds(expected, copies);
    for (const variant of ["fork", "spawn", "reuse"] as const) {
      const row = await measure(variant, b, expected, variant === "spawn" ? 1 : copies);
      process.stderr.write(
        `  ${variant}: ${row.seconds.toFixed(1)} s, ${row.checksPerSecond.toFixed(1)} checks/s, all pass: ${row.allPass}, load ${row.load.map((l) => l.toFixed(1)).join(" -> ")}\n`,
      );
      rows.push(row);
    }
  }
  printTable(rows, floors, plan);
  const out = flag("--json");
  if (out)
    await fsp.writeFile(
      out,
      `${JSON.stringify({ workers, quick, floors, rows: rows.map(({ verdicts: _, ...r }) => r) }, null, 2)}\n`,
    );
}

function printTable(rows: Row[], floors: Record<string, number>, plan: [string, number][]): void {
  const lines = [
    `| | ${plan.map(([n, c]) => `${n}${c > 1 ? ` x ${c}` : ""}`).join(" | ")} |`,
    `|---|${plan.map(() => "---:").join("|")}|`,
  ];
  const cell = (name: string, f: (r: Row) => string) =>
    f(rows.find((r) => r.benchmark === name && r.variant === "fork")!);
  const by = (name: string, variant: Row["variant"]) =>
    rows.find((r) => r.benchmark === name && r.variant === variant)!;
  const add = (label: string, f: (name: string) => string) =>
    lines.push(`| ${label} | ${plan.map(([n]) => f(n)).join(" | ")} |`);
  add("samples / checks", (n) => cell(n, (r) => `${r.samples} / ${r.checks}`));
  add("**fork (zygote): wall time**", (n) => `**${by(n, "fork").seconds.toFixed(1)} s**`);
  add("fork: checks per second", (n) => by(n, "fork").checksPerSecond.toFixed(1));
  add("fork: CPU seconds (sra, executor processes, children)", (n) => by(n, "fork").cpuSeconds.toFixed(1));
  add(
    "**fork: CPU seconds / workers** (its wall time on an idle machine)",
    (n) => `**${(by(n, "fork").cpuSeconds / workers).toFixed(1)} s**`,
  );
  const spawnSeconds = (n: string) => (by(n, "spawn").seconds * by(n, "fork").copies) / by(n, "spawn").copies;
  add("spawn (a new interpreter per check): wall time", (n) => {
    const r = by(n, "spawn");
    return r.copies === by(n, "fork").copies
      ? `${r.seconds.toFixed(1)} s`
      : `${spawnSeconds(n).toFixed(1)} s (x 1 measured: ${r.seconds.toFixed(1)} s)`;
  });
  add("spawn: checks per second", (n) => by(n, "spawn").checksPerSecond.toFixed(1));
  add("fork vs spawn", (n) => `${(spawnSeconds(n) / by(n, "fork").seconds).toFixed(2)}x faster`);
  add(
    "evalplus, 2 workers (published here)",
    (n) =>
      `${EVALPLUS_SECONDS[n]} s${plan.find(([p]) => p === n)?.[1] === 10 || n !== "humaneval-plus" ? "" : " (for x 10)"}`,
  );
  add("**fork / evalplus**", (n) =>
    quick && n === "humaneval-plus"
      ? "-"
      : `**${(by(n, "fork").seconds / (EVALPLUS_SECONDS[n] ?? 1)).toFixed(2)}**`,
  );
  add("**fork CPU / workers vs evalplus**", (n) =>
    quick && n === "humaneval-plus"
      ? "-"
      : `**${(by(n, "fork").cpuSeconds / workers / (EVALPLUS_SECONDS[n] ?? 1)).toFixed(2)}**`,
  );
  add(
    "canonical solutions' own compute (the floor, over the workers)",
    (n) => `${(floors[n] ?? 0).toFixed(1)} s`,
  );
  add(
    "spawn: CPU seconds",
    (n) =>
      `${by(n, "spawn").cpuSeconds.toFixed(1)}${by(n, "spawn").copies !== by(n, "fork").copies ? " (x 1)" : ""}`,
  );
  add("reuse: CPU seconds", (n) => by(n, "reuse").cpuSeconds.toFixed(1));
  add("reuse identical samples: wall time", (n) => `${by(n, "reuse").seconds.toFixed(1)} s`);
  add("verdicts: all pass, identical across variants", (n) => {
    // spawn ran one copy: compare it with the first copy of the others.
    const firstCopy = (v: string) =>
      v
        .split("\n")
        .filter((l) => /#0:/.test(l))
        .join("\n");
    const same =
      firstCopy(by(n, "fork").verdicts) === by(n, "spawn").verdicts &&
      by(n, "fork").verdicts === by(n, "reuse").verdicts;
    return `${["fork", "spawn", "reuse"].every((v) => by(n, v as Row["variant"]).allPass) ? "all pass" : "NOT ALL PASS"}, ${same ? "identical" : "DIFFER"}`;
  });
  add("load average (1 min) before -> after fork", (n) =>
    by(n, "fork")
      .load.map((l) => l.toFixed(1))
      .join(" -> "),
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
