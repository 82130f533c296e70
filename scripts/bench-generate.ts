/**
 * Generation throughput: does `sra generate` keep every decoding slot of an LLM server busy?
 *
 *   npm ci && npm run build && npm run bench:generate -- [--json bench.json]
 *
 * Flags (defaults in brackets): --repeat [3] runs of the concurrent case (the table shows the median),
 * --n [256] problems, --slots [64] decoding slots, --latency-ms [50] and
 * --per-token-ms [0] per request, --concurrency [4 x slots], --max-requests [1.5 x slots], --seq-n [16]
 * problems for the sequential comparison, --ref-n [4] for the reference budget, --memory-n [10000]
 * synthetic problems for the memory run, --quick (skip the memory run), --memory-only, --journal-ab
 * (only the concurrent case, with and without the request journal, alternating), --plan-steps [3]
 * (plan lengths of the fake model, e.g. 3-5), --iterations (default: the CLI's), --cli [dist/src/cli.js],
 * --json FILE, --cpu-prof DIR, --dump-calls FILE, --keep, --fake-model capable|exploring.
 *
 * `--cluster` runs something else: several fake servers and one run per --parallel-iterations value,
 * each set against its work-conserving bound (scripts/bench-generate/cluster.ts has the details).
 *
 * The fake OpenAI-compatible server of the test suite (test/support/fake-openai-server.ts) runs in this
 * process with a capacity model: S decoding slots (requests beyond S wait in its queue) and a latency of
 * base + per-token ms once a request holds a slot. It answers like a capable instruct model
 * (test/support/plan-script.ts) with realistic reply lengths (evaluate: a reason, then the score;
 * propose: a step and often its justification; implement: a ~250-token solution).
 *
 * The real pipeline runs against it: the built CLI (`node dist/src/cli.js generate`) in a child process,
 * so the server's CPU is not sra's and the OS schedules the two on separate cores. sra's CPU time and
 * peak RSS are read inside the child by a tiny `--import` probe (process.resourceUsage() at exit; CPU and
 * memory samples while it runs), so no change to sra is needed to measure it.
 *
 * Runs, each against a fresh server:
 * 1. concurrent: N problems of ../shared/datasets/leetcode-uneasy.jsonl with --concurrency/--max-requests;
 * 2. sequential: the reference implementation's design (--concurrency 1 --max-requests 1) on the first
 *    --seq-n of the same problems (at 50 ms a call all N would take minutes); rates are per problem, so
 *    the ratio compares like with like;
 * 3. reference budget: --iterations 2 (the reference code's default), sequential, on --ref-n problems:
 *    LLM calls per problem, to compare with the reference's ~20;
 * 4. memory (skipped with --quick): --memory-n synthetic problems (LeetCode questions with a variant
 *    suffix and their own ids) at zero latency: peak RSS must stay flat, because finished trees are
 *    written and dropped.
 *
 * Definitions. Slot utilisation = the server's busy slot-time / (S x wall time), with wall time from the
 * first chat request the server received to the last reply it sent (the "active" window), and also over
 * the whole sra process lifetime (start-up, reading the problems file, the final summary). Problems per
 * minute use the process lifetime. sra CPU per LLM call: the process's user + system CPU over the chat
 * requests the server received, start-up included (and, separately, over the active window only).
 * Prefix share: for each prompt (system and user messages in order), the longest common prefix with any
 * earlier prompt of the same problem, summed and divided by the summed prompt lengths (characters; also
 * rounded down to whole 16-token KV-cache blocks of ~64 characters, as vLLM's automatic prefix caching
 * reuses only full blocks; and, as a lower bound of what a run-wide cache saves, also counting the
 * previous prompt of the same role from another problem).
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fnv } from "../test/support/plan-script.js";
import { runCluster } from "./bench-generate/cluster.js";
import {
  analyseTail,
  int,
  mainTable,
  mark,
  memoryTable,
  num,
  pct,
  plural,
  prefixTable,
  strip,
} from "./bench-generate/format.js";
import { writeSyntheticProblems } from "./bench-generate/inputs.js";
import { journalAbTable, runJournalAb } from "./bench-generate/journal-ab.js";
import { createProblemMatcher, readQuestions } from "./bench-generate/model.js";
import { computePrefixShare, promptText } from "./bench-generate/prefix-share.js";
import { PROBE_SOURCE } from "./bench-generate/probe.js";
import { type RunResult, runOnce } from "./bench-generate/run.js";
import {
  CLI,
  CLUSTER,
  CONCURRENCY,
  ENDPOINTS,
  flags,
  ITERATIONS,
  LATENCY,
  MAX_REQUESTS,
  MEMORY_N,
  N,
  PROBLEMS,
  REF_N,
  REPEAT,
  SEQ_N,
  SLOTS,
} from "./bench-generate/settings.js";

const memoryHeading = (): string =>
  `Memory: ${MEMORY_N} synthetic problems, zero latency, S=${SLOTS}, --concurrency ${CONCURRENCY} --max-requests ${MAX_REQUESTS}:`;

async function main(): Promise<void> {
  try {
    await fsp.access(CLI);
  } catch {
    process.stderr.write(`bench-generate: ${CLI} not found: run \`npm run build\` first\n`);
    process.exit(2);
  }
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-bench-generate-"));
  const probeFile = path.join(tmp, "probe.mjs");
  await fsp.writeFile(probeFile, PROBE_SOURCE);
  const log = (s: string): void => {
    process.stderr.write(`${s}\n`);
  };
  const load = os.loadavg()[0] ?? 0;
  log(
    `bench-generate: ${os.cpus().length} cores (load ${load.toFixed(1)}), node ${process.version}; ` +
      `${ENDPOINTS > 1 ? `${ENDPOINTS} endpoints x ` : ""}S=${SLOTS} slots, ` +
      `latency ${LATENCY.baseMs} ms + ${LATENCY.perTokenMs} ms/token; temp ${tmp}`,
  );
  const runMemory = async (): Promise<RunResult> => {
    const file = path.join(tmp, `synthetic-${MEMORY_N}.jsonl`);
    await writeSyntheticProblems(PROBLEMS, file, MEMORY_N);
    log(`4/4 memory: ${MEMORY_N} synthetic problems at zero latency (a few minutes; --quick skips it) ...`);
    const memory = await runOnce(
      {
        label: "memory",
        problems: file,
        limit: MEMORY_N,
        concurrency: CONCURRENCY,
        maxRequests: MAX_REQUESTS,
        latency: { baseMs: 0, perTokenMs: 0 },
        ...(ITERATIONS === undefined ? {} : { iterations: ITERATIONS }),
        keepCalls: false,
      },
      tmp,
      probeFile,
    );
    log(`    ${num(memory.processSeconds / 60, 1)} min, peak RSS ${num(memory.sraPeakRssMb, 0)} MB`);
    return memory;
  };
  const problemOf = createProblemMatcher(readQuestions(PROBLEMS));
  try {
    if (CLUSTER) {
      const { rows, report } = await runCluster(tmp, probeFile, log);
      const loadAfter = os.loadavg()[0] ?? 0;
      process.stdout.write(
        `${report}\nMachine: ${os.cpus().length} cores, load average ${load.toFixed(1)} at the start and ` +
          `${loadAfter.toFixed(1)} at the end, node ${process.version}.\n`,
      );
      if (flags.json) {
        const result = rows.map((r) => ({ ...r, run: strip(r.run) }));
        await fsp.writeFile(
          path.resolve(flags.json),
          `${JSON.stringify({ loadAtStart: load, loadAtEnd: loadAfter, rows: result }, null, 2)}\n`,
        );
      }
      return;
    }
    if (flags["journal-ab"]) {
      log(
        `journal A/B: ${N} problems, --concurrency ${CONCURRENCY} --max-requests ${MAX_REQUESTS}, ${REPEAT} runs each ...`,
      );
      const ab = await runJournalAb(
        {
          problems: PROBLEMS,
          limit: N,
          concurrency: CONCURRENCY,
          maxRequests: MAX_REQUESTS,
          latency: LATENCY,
          ...(ITERATIONS === undefined ? {} : { iterations: ITERATIONS }),
          keepCalls: false,
        },
        REPEAT,
        tmp,
        probeFile,
        log,
      );
      process.stdout.write(
        `### The request journal's cost: ${N} problems, S=${SLOTS}, ${LATENCY.baseMs} ms per request (load ${load.toFixed(1)})\n\n${journalAbTable(ab)}\n`,
      );
      if (flags.json) {
        const json = { journal: ab.journal.map(strip), noJournal: ab.noJournal.map(strip) };
        await fsp.writeFile(path.resolve(flags.json), `${JSON.stringify(json, null, 2)}\n`);
      }
      return;
    }
    if (flags["memory-only"]) {
      const memory = await runMemory();
      process.stdout.write(`${memoryHeading()}\n\n${memoryTable(memory)}\n`);
      if (flags.json) await fsp.writeFile(path.resolve(flags.json), `${JSON.stringify(memory, null, 2)}\n`);
      return;
    }
    const { conc, ranges } = await runConcurrent(tmp, probeFile, log);
    log(
      `2/4 sequential (reference design): ${plural(SEQ_N, "problem")}, --concurrency 1 --max-requests 1 ...`,
    );
    const seq = await runOnce(
      {
        label: "sequential",
        problems: PROBLEMS,
        limit: SEQ_N,
        concurrency: 1,
        maxRequests: 1,
        latency: LATENCY,
        ...(ITERATIONS === undefined ? {} : { iterations: ITERATIONS }),
        keepCalls: false,
      },
      tmp,
      probeFile,
    );
    log(`    ${num(seq.processSeconds)} s, ${int(seq.llmCalls)} calls`);
    let ref: RunResult | undefined;
    if (REF_N > 0) {
      log(
        `3/4 reference budget: ${plural(REF_N, "problem")}, --iterations 2 --concurrency 1 --max-requests 1 ...`,
      );
      ref = await runOnce(
        {
          label: "reference-budget",
          problems: PROBLEMS,
          limit: REF_N,
          concurrency: 1,
          maxRequests: 1,
          latency: LATENCY,
          iterations: 2,
          keepCalls: false,
        },
        tmp,
        probeFile,
      );
      log(`    ${num(ref.callsPerProblem)} calls per problem`);
    }
    let memory: RunResult | undefined;
    if (!flags.quick) memory = await runMemory();
    else log("4/4 memory: skipped (--quick)");

    if (flags["dump-calls"]) {
      // One line per request of the concurrent run, for timeline analysis.
      const lines = (conc.calls ?? []).map((c) =>
        JSON.stringify({
          problem: fnv(problemOf(promptText(c))).toString(16),
          purpose: c.purpose,
          status: c.status,
          receivedAt: c.receivedAt,
          startedAt: c.startedAt,
          finishedAt: c.finishedAt,
        }),
      );
      await fsp.writeFile(path.resolve(flags["dump-calls"]), `${lines.join("\n")}\n`);
    }
    const prefix = computePrefixShare(conc.calls ?? [], problemOf);
    const tail = analyseTail(conc.calls ?? []);
    const ratio = conc.problemsPerMinute / Math.max(1e-9, seq.problemsPerMinute);
    const standard = SLOTS === 64 && LATENCY.baseMs === 50 && LATENCY.perTokenMs === 0 && N >= 256;
    const targets = {
      utilisation: { target: ">= 90%", value: conc.utilisationActive, met: conc.utilisationActive >= 0.9 },
      speedup: { target: ">= 40x", value: ratio, met: ratio >= 40 },
      cpuPerCall: { target: "<= 1 ms", value: conc.sraCpuMsPerCall, met: conc.sraCpuMsPerCall <= 1 },
      ...(memory
        ? {
            peakRss: {
              target: "< 300 MB",
              value: memory.sraPeakRssMb,
              met: memory.sraPeakRssMb < 300,
            },
          }
        : {}),
    };

    process.stdout.write(
      formatReport({ conc, seq, ref, memory, ranges, prefix, tail, ratio, standard, targets }),
    );

    if (flags.json) {
      const result = {
        machine: {
          cores: os.cpus().length,
          loadAtStart: load,
          node: process.version,
          platform: process.platform,
        },
        settings: {
          n: N,
          slots: SLOTS,
          latency: LATENCY,
          concurrency: CONCURRENCY,
          maxRequests: MAX_REQUESTS,
          seqN: SEQ_N,
          refN: REF_N,
          memoryN: flags.quick ? null : MEMORY_N,
          iterations: ITERATIONS ?? null,
          cli: CLI,
        },
        concurrent: strip(conc),
        concurrentRuns: ranges,
        sequential: strip(seq),
        ratio,
        referenceBudget: ref ? strip(ref) : null,
        prefixShare: prefix,
        tail,
        memory: memory ? strip(memory) : null,
        targets,
      };
      await fsp.writeFile(path.resolve(flags.json), `${JSON.stringify(result, null, 2)}\n`);
      log(`bench-generate: results written to ${path.resolve(flags.json)}`);
    }
  } finally {
    if (flags.keep) log(`bench-generate: kept ${tmp}`);
    else await fsp.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The concurrent case, --repeat times. This machine is a shared 2-vCPU VM: one run can be 10% off
 * another. The median run (by utilisation) fills the table and the targets; the ranges over all runs
 * are printed beside it.
 */
async function runConcurrent(
  tmp: string,
  probeFile: string,
  log: (s: string) => void,
): Promise<{ conc: RunResult; ranges: Ranges }> {
  log(
    `1/4 concurrent: ${N} problems, --concurrency ${CONCURRENCY} --max-requests ${MAX_REQUESTS}` +
      (REPEAT > 1 ? `, ${REPEAT} runs` : "") +
      " ...",
  );
  const runs: RunResult[] = [];
  for (let k = 0; k < REPEAT; k++) {
    const run = await runOnce(
      {
        label: "concurrent",
        problems: PROBLEMS,
        limit: N,
        concurrency: CONCURRENCY,
        maxRequests: MAX_REQUESTS,
        latency: LATENCY,
        ...(ITERATIONS === undefined ? {} : { iterations: ITERATIONS }),
        keepCalls: true,
        repetition: k,
      },
      tmp,
      probeFile,
    );
    log(
      `    ${num(run.processSeconds)} s, ${int(run.llmCalls)} calls, utilisation ${pct(run.utilisationActive)}, ` +
        `${num(run.sraCpuMsPerCall, 2)} ms CPU/call`,
    );
    runs.push(run);
  }
  const byUtilisation = [...runs].sort((a, b) => a.utilisationActive - b.utilisationActive);
  const conc = byUtilisation[Math.floor((byUtilisation.length - 1) / 2)] as RunResult;
  for (const r of runs) if (r !== conc) r.calls = undefined;
  const spread = (f: (r: RunResult) => number) => {
    const v = runs.map(f).sort((a, b) => a - b);
    return {
      min: v[0] as number,
      median: v[Math.floor((v.length - 1) / 2)] as number,
      max: v.at(-1) as number,
    };
  };
  const ranges = {
    runs: runs.length,
    utilisationActive: spread((r) => r.utilisationActive),
    sraCpuMsPerCall: spread((r) => r.sraCpuMsPerCall),
    problemsPerMinute: spread((r) => r.problemsPerMinute),
  };
  return { conc, ranges };
}

/** The report on stdout: the tables and what they mean. */
function formatReport(r: {
  conc: RunResult;
  seq: RunResult;
  ref: RunResult | undefined;
  memory: RunResult | undefined;
  ranges: Ranges;
  prefix: ReturnType<typeof computePrefixShare>;
  tail: ReturnType<typeof analyseTail>;
  ratio: number;
  standard: boolean;
  targets: Record<string, { target: string; met: boolean }>;
}): string {
  const { conc, seq, ref, memory, ranges, prefix, tail, ratio, standard, targets } = r;
  const out: string[] = [];
  out.push(
    `### sra generate: ${N} LeetCode problems, fake server with S=${SLOTS} slots, ` +
      `${LATENCY.baseMs} ms${LATENCY.perTokenMs ? ` + ${LATENCY.perTokenMs} ms/token` : ""} per request`,
  );
  out.push("");
  out.push(mainTable(conc, seq, ratio));
  out.push("");
  if (ranges.runs > 1) {
    const r3 = (x: { min: number; median: number; max: number }, f: (v: number) => string) =>
      `${f(x.min)} / ${f(x.median)} / ${f(x.max)}`;
    out.push(
      `The concurrent column is the median of ${ranges.runs} runs by utilisation. Across them (min / median / max): ` +
        `utilisation ${r3(ranges.utilisationActive, pct)}, sra CPU per call ` +
        `${r3(ranges.sraCpuMsPerCall, (v) => `${num(v, 2)} ms`)}, problems per minute ` +
        `${r3(ranges.problemsPerMinute, (v) => num(v, 0))}.`,
    );
    out.push("");
  }
  out.push(
    `Sequential rate measured on the first ${seq.done} of the same problems. Utilisation = busy slot-time / ` +
      `(S x wall time); "first request to last reply" is the server's active window. ` +
      `sra CPU and RSS are the sra process's own (process.resourceUsage() at exit), start-up included.`,
  );
  if (tail && tail.saturatedSeconds >= 0.1 * conc.activeSeconds) {
    out.push("");
    out.push(
      `Where the idle slot-time is: the server held at least S requests (decoding or queued) for the first ` +
        `${num(tail.saturatedSeconds)} s of the ${num(conc.activeSeconds)} s, at ${pct(tail.utilisationSaturated)} utilisation; ` +
        `the last ${num(tail.tailSeconds)} s (${pct(tail.utilisationTail)}) are the tail, where only the last problems' ` +
        `sequential search steps are left (a problem's steps wait for each other, so no client can fill S slots with them). ` +
        `A client that kept every slot busy until then would reach about ${pct(tail.ceiling)} with this tail.`,
    );
  } else if (tail) {
    out.push("");
    out.push(
      "The server seldom held S requests: too few problems in flight (raise --concurrency) or too few " +
        "requests allowed at once (raise --max-requests above S).",
    );
  }
  if (ref) {
    out.push("");
    out.push(
      `Reference budget (--iterations 2, one request at a time, ${ref.done} problems): ` +
        `${num(ref.callsPerProblem)} LLM calls per problem, ${num(ref.processSeconds / Math.max(1, ref.done))} s per problem ` +
        `(calls x latency = ${num((ref.callsPerProblem * LATENCY.baseMs) / 1000)} s).`,
    );
  }
  out.push("");
  out.push(`Prompt prefix shared with an earlier prompt of the same problem (${conc.done} problems):`);
  out.push("");
  out.push(prefixTable(prefix));
  if (memory) {
    out.push("");
    out.push(memoryHeading());
    out.push("");
    out.push(memoryTable(memory));
  }
  out.push("");
  out.push(
    `Targets${standard ? "" : " (defined for S=64, 50 ms, N=256; this run used other settings)"}: ` +
      Object.entries(targets)
        .map(([k, t]) => `${k} ${t.target}: ${mark(t.met)}`)
        .join("; "),
  );
  return `${out.join("\n")}\n`;
}

/** min / median / max of one figure over the concurrent runs. */
interface Spread {
  min: number;
  median: number;
  max: number;
}
interface Ranges {
  runs: number;
  utilisationActive: Spread;
  sraCpuMsPerCall: Spread;
  problemsPerMinute: Spread;
}

await main();
