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
    n: { type: "string" },
    "plan-steps": { type: "string" },
    slots: { type: "string", default: "64" },
    "latency-ms": { type: "string" },
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
    repeat: { type: "string" },
    cluster: { type: "boolean", default: false },
    endpoints: { type: "string" },
    k: { type: "string", default: "1,2,3,4" },
    "fake-model": { type: "string" },
    "parallel-after": { type: "string" },
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
      "  [--dump-calls FILE] (one JSON line per request of the concurrent run: problem, purpose, times)\n" +
      "  [--fake-model capable|exploring] (how the fake model answers; see bench-generate/model.ts)\n" +
      "cluster mode (wall time against the work-conserving bound, per --parallel-iterations K):\n" +
      "  --cluster [--endpoints 2] [--slots 64] (per endpoint) [--latency-ms 200] [--n 600]\n" +
      "  [--k 1,2,3,4] [--parallel-after N] [--fake-model exploring] [--plan-steps 3-7] [--repeat 1]\n",
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

/** Cluster mode: several fake servers, one run per --parallel-iterations value (bench-generate/cluster.ts). */
export const CLUSTER = flags.cluster === true;
/** Cluster mode takes a list (one table per problem count); the other modes one number. */
export const CLUSTER_NS = (flags.n ?? "600").split(",").map((v) => whole("n", v.trim(), 1));
export const N = CLUSTER ? (CLUSTER_NS[0] as number) : whole("n", flags.n ?? "256", 1);
/** Decoding slots of one fake server. */
export const SLOTS = whole("slots", flags.slots, 1);
export const ENDPOINTS = whole("endpoints", flags.endpoints ?? (CLUSTER ? "2" : "1"), 1);
/** Every slot of every fake server. */
export const TOTAL_SLOTS = SLOTS * ENDPOINTS;
export const LATENCY = {
  baseMs: nonNegative("latency-ms", flags["latency-ms"] ?? (CLUSTER ? "200" : "50")),
  perTokenMs: 0,
};
LATENCY.perTokenMs = nonNegative("per-token-ms", flags["per-token-ms"]);
// Enough problems in flight that S slots stay full: a problem has ~1.4 requests in flight on average
// (proposals are sequential, each evaluation overlaps the next proposal), so S slots need > S/1.4
// problems, and more keep the queue full while problems start and finish.
export const CONCURRENCY = whole("concurrency", flags.concurrency ?? String(4 * TOTAL_SLOTS), 1);
// More requests outstanding than the server has slots: its queue then always holds the next request
// when a slot frees, so sra's own turnaround (reply parsed, next prompt built and sent) costs no slot
// time. With exactly S, every millisecond of it left a slot idle (measured: ~57 of 64 busy).
export const MAX_REQUESTS = whole(
  "max-requests",
  flags["max-requests"] ?? String(Math.ceil(1.5 * TOTAL_SLOTS)),
  1,
);
export const SEQ_N = Math.min(N, whole("seq-n", flags["seq-n"], 1));
export const REF_N = whole("ref-n", flags["ref-n"], 0);
/** The concurrent run is repeated; the table shows the median run (by utilisation), the ranges all. */
export const REPEAT = whole("repeat", flags.repeat ?? (CLUSTER ? "1" : "3"), 1);
export const MEMORY_N = whole("memory-n", flags["memory-n"], 1);
export const ITERATIONS =
  flags.iterations === undefined ? undefined : whole("iterations", flags.iterations, 1);
export const CLI = path.resolve(flags.cli);
/**
 * How the fake model answers: "capable" (every step good, <end> once a plan has its length: the
 * search goes straight down) or "exploring" (some steps bad, a noisy evaluator: searches explore
 * and differ in length, like the simulation behind the default iteration budget). Cluster mode's
 * default is "exploring", since parallel iterations only matter to searches that explore.
 */
export const FAKE_MODEL = ((): "capable" | "exploring" => {
  const m = flags["fake-model"] ?? (CLUSTER ? "exploring" : "capable");
  if (m !== "capable" && m !== "exploring") {
    process.stderr.write(`bench-generate: --fake-model must be capable or exploring (got "${m}")\n`);
    process.exit(2);
  }
  return m;
})();
/** The --parallel-iterations values of cluster mode, in order. */
export const K_VALUES = (flags.k ?? "").split(",").map((v) => whole("k", v.trim(), 1));
export const PARALLEL_AFTER =
  flags["parallel-after"] === undefined ? undefined : whole("parallel-after", flags["parallel-after"], 0);
/**
 * The fake model completes plans of these lengths (a problem's length is fixed by its question);
 * the exploring model needs this many good steps.
 */
export const PLAN_STEPS = ((): number[] => {
  const spec = flags["plan-steps"] ?? (FAKE_MODEL === "exploring" ? "3-7" : "3");
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2] ?? m?.[1]);
  if (!m || lo < 1 || hi < lo || hi > 12) {
    process.stderr.write(`bench-generate: --plan-steps must be N or N-M with 1 <= N <= M <= 12\n`);
    process.exit(2);
  }
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
})();
export const PROBLEMS = path.resolve(flags.problems);
