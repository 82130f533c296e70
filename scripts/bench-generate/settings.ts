/** bench-generate's flags and the settings derived from them (see scripts/bench-generate.ts for each). */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const LEETCODE = path.resolve(ROOT, "../shared/datasets/leetcode-uneasy.jsonl");
/** The model name the fake server serves and sra asks for. */
export const MODEL = "bench-model";

export const { values: flags } = parseArgs({
  options: {
    n: { type: "string", default: "256" },
    "plan-steps": { type: "string", default: "3" },
    slots: { type: "string", default: "64" },
    "latency-ms": { type: "string", default: "50" },
    "per-token-ms": { type: "string", default: "0" },
    concurrency: { type: "string" },
    "max-requests": { type: "string" },
    "seq-n": { type: "string", default: "16" },
    "ref-n": { type: "string", default: "4" },
    "memory-n": { type: "string", default: "10000" },
    iterations: { type: "string" },
    problems: { type: "string", default: LEETCODE },
    cli: { type: "string", default: path.join(ROOT, "dist/src/cli.js") },
    json: { type: "string" },
    "cpu-prof": { type: "string" },
    "dump-calls": { type: "string" },
    repeat: { type: "string", default: "3" },
    quick: { type: "boolean", default: false },
    "memory-only": { type: "boolean", default: false },
    "journal-ab": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (flags.help) {
  process.stdout.write(
    "usage: npm run bench:generate -- [--n 256] [--slots 64] [--latency-ms 50] [--per-token-ms 0]\n" +
      "  [--concurrency 4*slots] [--max-requests 1.5*slots] [--seq-n 16] [--ref-n 4] [--memory-n 10000]\n" +
      "  [--iterations N] [--plan-steps 3] [--problems FILE] [--cli dist/src/cli.js] [--json out.json]\n" +
      "  [--quick] [--keep] [--repeat 3]  (runs of the concurrent case; the table shows the median)\n" +
      "  [--cpu-prof DIR]  (a V8 CPU profile of the sra process of the concurrent run)\n" +
      "  [--memory-only]   (only the memory run)\n" +
      "  [--journal-ab]    (only the concurrent run, --repeat times with the request journal and without)\n" +
      "  [--dump-calls FILE] (one JSON line per request of the concurrent run: problem, purpose, times)\n",
  );
  process.exit(0);
}

function whole(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) {
    process.stderr.write(`bench-generate: --${name} must be a whole number >= ${min} (got "${value}")\n`);
    process.exit(2);
  }
  return n;
}
function nonNegative(name: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n < 0) {
    process.stderr.write(`bench-generate: --${name} must be a number >= 0 (got "${value}")\n`);
    process.exit(2);
  }
  return n;
}

export const N = whole("n", flags.n, 1);
export const SLOTS = whole("slots", flags.slots, 1);
export const LATENCY = { baseMs: nonNegative("latency-ms", flags["latency-ms"]), perTokenMs: 0 };
LATENCY.perTokenMs = nonNegative("per-token-ms", flags["per-token-ms"]);
// Enough problems in flight that S slots stay full: a problem has ~1.4 requests in flight on average
// (proposals are sequential, each evaluation overlaps the next proposal), so S slots need > S/1.4
// problems, and more keep the queue full while problems start and finish.
export const CONCURRENCY = whole("concurrency", flags.concurrency ?? String(4 * SLOTS), 1);
// More requests outstanding than the server has slots: its queue then always holds the next request
// when a slot frees, so sra's own turnaround (reply parsed, next prompt built and sent) costs no slot
// time. With exactly S, every millisecond of it left a slot idle (measured: ~57 of 64 busy).
export const MAX_REQUESTS = whole("max-requests", flags["max-requests"] ?? String(Math.ceil(1.5 * SLOTS)), 1);
export const SEQ_N = Math.min(N, whole("seq-n", flags["seq-n"], 1));
export const REF_N = whole("ref-n", flags["ref-n"], 0);
/** The concurrent run is repeated; the table shows the median run (by utilisation), the ranges all. */
export const REPEAT = whole("repeat", flags.repeat, 1);
export const MEMORY_N = whole("memory-n", flags["memory-n"], 1);
export const ITERATIONS =
  flags.iterations === undefined ? undefined : whole("iterations", flags.iterations, 1);
export const CLI = path.resolve(flags.cli);
/** The fake model completes plans of these lengths (a problem's length is fixed by its question). */
export const PLAN_STEPS = ((): number[] => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(flags["plan-steps"] ?? "");
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2] ?? m?.[1]);
  if (!m || lo < 1 || hi < lo || hi > 12) {
    process.stderr.write(`bench-generate: --plan-steps must be N or N-M with 1 <= N <= M <= 12\n`);
    process.exit(2);
  }
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
})();
export const PROBLEMS = path.resolve(flags.problems);
