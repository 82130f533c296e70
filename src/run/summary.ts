/**
 * summary.json (written atomically at the end of every invocation, interrupted or not) and the
 * human summary printed on stderr. Pure: the numbers come in, a record and text come out.
 */
import type { LlmStackDescription, LlmStackStats } from "../llm/create-llm-stack.js";
import type { RunTotals } from "../run-dir/accumulator.js";
import type { JournalStats } from "../run-dir/journal.js";
import { STRATEGY_COUNTER_KEYS } from "../search/strategy-counters.js";
import { writesWholePlans } from "../types.js";
import { formatCount, formatDuration } from "./progress.js";

export type StopCause = "completed" | "interrupted" | "max-failures" | "error";

/** Running counters of one invocation: small numbers only, whatever the size of the run. */
export interface RunCounters {
  done: number;
  failed: number;
  samples: number;
  plans: number;
  /** Sum of the per-problem figures of this invocation's samples/plans (plan + code). */
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** Sum of per-problem seconds (latency, not wall time). */
  problemSeconds: number;
  failuresByKind: Record<string, number>;
  failuresByStage: Record<string, number>;
  /** Search stop reasons of this invocation's plans. */
  stopReasons: Record<string, number>;
  reachedEnd: number;
  steps: number;
  /** Code checks of this invocation's samples (src/run/code-checks.ts). */
  checks: CodeCheckCounts;
  /**
   * The strategies' counters summed over this invocation's plans (STRATEGY_COUNTER_KEYS: terminals
   * tested by --verify-end, candidates chosen by tests or outputs): a fixed, small set of keys.
   */
  search: Record<string, number>;
}

export interface CodeCheckCounts {
  /** Samples whose code was compiled (and compiles). */
  compiled: number;
  /** Code attempts that did not compile and were asked again. */
  compileFailures: number;
  /** Samples run against their problem's tests, and those that passed them all. */
  tested: number;
  passed: number;
}

export function createRunCounters(): RunCounters {
  return {
    done: 0,
    failed: 0,
    samples: 0,
    plans: 0,
    calls: 0,
    promptTokens: 0,
    completionTokens: 0,
    problemSeconds: 0,
    failuresByKind: {},
    failuresByStage: {},
    stopReasons: {},
    reachedEnd: 0,
    steps: 0,
    checks: { compiled: 0, compileFailures: 0, tested: 0, passed: 0 },
    search: {},
  };
}

export function bump(record: Record<string, number>, key: string, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

export interface SelectionCounts {
  /** Valid problems in the file. */
  inFile: number;
  /** Records skipped as invalid (--skip-invalid). */
  invalidSkipped: number;
  /** Repeated questions without an id within the selection (--limit, --shard), skipped (the first is kept). */
  duplicatesSkipped: number;
  /** After --limit and --shard. */
  selected: number;
  /** Selected problems already finished before this invocation. */
  alreadyDone: number;
  /** Selected problems skipped because they failed earlier (no --retry-failures). */
  failedEarlier: number;
  /** With --stage code: selected problems without a plan yet. */
  withoutPlan: number;
  /** What this invocation set out to do. */
  todo: number;
}

export interface RunSummary {
  version: 1;
  runDir: string;
  model: string;
  strategy: string;
  stage: string;
  shard: string | null;
  limit: number | null;
  startedAt: string;
  finishedAt: string;
  /** Wall-clock seconds of this invocation. */
  seconds: number;
  stopCause: StopCause;
  stopDetail?: string;
  /** Set when the run went to its end but failed all the same (exit 1): too many problems failed. */
  failedBecause?: string;
  problems: SelectionCounts;
  thisRun: {
    done: number;
    failed: number;
    samples: number;
    plans: number;
    /** Whole-run throughput: wall seconds / finished problems. */
    wallSecondsPerProblem: number | null;
    /** Mean latency of one problem (search + code), from the records. */
    meanProblemSeconds: number | null;
    callsPerProblem: number | null;
    tokensPerProblem: number | null;
    promptTokens: number;
    completionTokens: number;
    completionTokensPerSecond: number | null;
    reachedEndRate: number | null;
    meanSteps: number | null;
    stopReasons: Record<string, number>;
    failuresByKind: Record<string, number>;
    failuresByStage: Record<string, number>;
    codeChecks: CodeCheckCounts;
    /** RunCounters.search: the strategies' counters of this invocation's plans. */
    search: Record<string, number>;
  };
  /** The whole run directory after this invocation (all runs into it). */
  totals: RunTotals;
  /** The LLM stack's counters at the end (the live-only ones, in flight and queued, left out). */
  llm: RunLlmStats | null;
  /**
   * The request journal of this invocation (null with --no-journal). `llm` counts the requests the
   * server got; replies replayed from the journal are counted here, and in the problems' own usage
   * (thisRun, samples' meta), which describes each problem's whole work as an uninterrupted run would.
   */
  journal: JournalStats | null;
}

type RunLlmStats = Pick<
  LlmStackStats,
  | "calls"
  | "attempts"
  | "retries"
  | "failures"
  | "promptTokens"
  | "completionTokens"
  | "estimatedUsageCalls"
  | "maxInFlight"
  | "capDecreases"
  | "outages"
  | "outageMs"
  | "endpoints"
> & { finalCap: number; engine?: EngineSummary };

/**
 * In process: what ran the model (the file, its size and origin, llama.cpp's device, threads,
 * sequences, context, chat template) and what its prompt cache and grammars did.
 */
export type EngineSummary = Extract<LlmStackDescription, { engine: "llama-cpp" }> & {
  requests: number;
  /** The most sequences decoding at once. */
  maxActive: number;
  promptTokens: number;
  /** Prompt tokens a sequence already held from an earlier request, not evaluated again. */
  reusedPromptTokens: number;
  /** Replies constrained by a grammar (guided scores): each one parses. */
  grammarConstrained: number;
};

function engineSummary(s: LlmStackStats, d: LlmStackDescription | null): EngineSummary | undefined {
  if (!s.engine || !d || d.engine !== "llama-cpp") return undefined;
  const e = s.engine;
  return {
    ...d,
    requests: e.requests,
    maxActive: e.maxActive,
    promptTokens: e.promptTokens,
    reusedPromptTokens: e.reusedPromptTokens,
    grammarConstrained: e.grammarConstrained,
  };
}

const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 1000) / 1000 : null);

export function buildSummary(input: {
  runDir: string;
  model: string;
  strategy: string;
  stage: string;
  shard: string | null;
  limit: number | null;
  startedAt: number;
  finishedAt: number;
  stopCause: StopCause;
  stopDetail?: string;
  failedBecause?: string;
  problems: SelectionCounts;
  counters: RunCounters;
  totals: RunTotals;
  llm: LlmStackStats | null;
  /** What the stack ran on (in process: the engine block of the llm section). */
  engine?: LlmStackDescription | null;
  journal?: JournalStats | null;
}): RunSummary {
  const c = input.counters;
  const seconds = Math.max(0, (input.finishedAt - input.startedAt) / 1000);
  const finished = c.done + c.failed;
  const records = c.done;
  const s = input.llm;
  const engine = s ? engineSummary(s, input.engine ?? null) : undefined;
  return {
    version: 1,
    runDir: input.runDir,
    model: input.model,
    strategy: input.strategy,
    stage: input.stage,
    shard: input.shard,
    limit: input.limit,
    startedAt: new Date(input.startedAt).toISOString(),
    finishedAt: new Date(input.finishedAt).toISOString(),
    seconds: Math.round(seconds * 1000) / 1000,
    stopCause: input.stopCause,
    ...(input.stopDetail ? { stopDetail: input.stopDetail } : {}),
    ...(input.failedBecause ? { failedBecause: input.failedBecause } : {}),
    problems: input.problems,
    thisRun: {
      done: c.done,
      failed: c.failed,
      samples: c.samples,
      plans: c.plans,
      wallSecondsPerProblem: ratio(seconds, finished),
      meanProblemSeconds: ratio(c.problemSeconds, records),
      callsPerProblem: ratio(c.calls, records),
      tokensPerProblem: ratio(c.promptTokens + c.completionTokens, records),
      promptTokens: c.promptTokens,
      completionTokens: c.completionTokens,
      completionTokensPerSecond: s ? ratio(s.completionTokens, seconds) : null,
      reachedEndRate: ratio(c.reachedEnd, c.plans),
      meanSteps: ratio(c.steps, c.plans),
      stopReasons: c.stopReasons,
      failuresByKind: c.failuresByKind,
      failuresByStage: c.failuresByStage,
      codeChecks: { ...c.checks },
      search: { ...c.search },
    },
    totals: input.totals,
    llm: s
      ? {
          calls: s.calls,
          attempts: s.attempts,
          retries: s.retries,
          failures: s.failures,
          promptTokens: s.promptTokens,
          completionTokens: s.completionTokens,
          estimatedUsageCalls: s.estimatedUsageCalls,
          maxInFlight: s.maxInFlight,
          finalCap: s.cap,
          capDecreases: s.capDecreases,
          outages: s.outages,
          outageMs: s.outageMs,
          endpoints: s.endpoints,
          ...(engine ? { engine } : {}),
        }
      : null,
    journal: input.journal ?? null,
  };
}

/** The end-of-run summary for a person (stderr). */
export function formatRunSummary(s: RunSummary): string {
  const t = s.thisRun;
  const lines: string[] = [];
  const head =
    s.stopCause === "completed"
      ? s.failedBecause
        ? "failed"
        : "done"
      : s.stopCause === "interrupted"
        ? "interrupted"
        : s.stopCause === "max-failures"
          ? "stopped: too many failures"
          : "stopped by an error";
  lines.push(
    `sra generate ${head} in ${formatDuration(s.seconds * 1000)}: ${t.done} finished, ${t.failed} failed` +
      ` (of ${s.problems.todo} to do; ${s.problems.alreadyDone} were already done)`,
  );
  if (t.done > 0) {
    lines.push(
      `  per problem: ${t.callsPerProblem ?? "?"} LLM calls, ${formatCount(t.tokensPerProblem ?? 0)} tokens, ` +
        `${t.meanProblemSeconds ?? "?"} s latency; wall ${t.wallSecondsPerProblem ?? "?"} s/problem`,
    );
  }
  if (t.plans > 0 && t.reachedEndRate !== null) {
    // A single-pass plan (cot) has no <end>: its reachedEnd says the draft was not cut off.
    const what = writesWholePlans(s.strategy) ? "complete, not cut off" : "reached <end>";
    lines.push(
      `  plans: ${t.plans} (${Math.round(t.reachedEndRate * 100)}% ${what}, mean ${t.meanSteps ?? "?"} steps)`,
    );
  }
  if (s.llm) {
    lines.push(
      `  LLM: ${s.llm.calls} calls (${s.llm.retries} retries), ${formatCount(s.llm.promptTokens)} prompt + ` +
        `${formatCount(s.llm.completionTokens)} completion tokens, ${formatCount(t.completionTokensPerSecond ?? 0)} tok/s, ` +
        `max ${s.llm.maxInFlight} in flight`,
    );
    const e = s.llm.engine;
    if (e) {
      const reused = e.promptTokens > 0 ? Math.round((100 * e.reusedPromptTokens) / e.promptTokens) : 0;
      lines.push(
        `  engine: llama.cpp in process, ${e.maxActive} of ${e.parallel} sequences busy at most; ` +
          `${reused}% of prompt tokens reused from a sequence's cache; ${e.grammarConstrained} grammar-constrained replies`,
      );
    }
    if (s.llm.outages > 0) {
      lines.push(
        `  server outages: ${s.llm.outages} (every endpoint down; ${Math.round(s.llm.outageMs / 1000)} s in all, waited out)`,
      );
    }
  }
  const checks = t.codeChecks;
  const never = t.failuresByKind["compile-error"] ?? 0;
  if (checks.compiled > 0 || never > 0) {
    const again = checks.compileFailures;
    lines.push(
      `  code checks: ${checks.compiled} of ${checks.compiled + never} compiled` +
        (never > 0 ? ` (${never} never did: a compile-error failure)` : "") +
        (again > 0
          ? `; ${again} ${again === 1 ? "reply" : "replies"} did not compile and ${again === 1 ? "was" : "were"} asked again`
          : "") +
        (checks.tested > 0 ? `; own tests passed by ${checks.passed} of ${checks.tested} samples` : ""),
    );
  }
  const search = formatSearchChecks(t.search);
  if (search) lines.push(search);
  const j = s.journal;
  if (j && (j.replayed > 0 || j.writeError !== undefined)) {
    lines.push(
      `  journal: ${j.replayed} replies replayed for ${j.resumedUnits} resumed problems (not sent again), ${j.recorded} recorded` +
        (j.writeError === undefined ? "" : `; stopped recording: ${j.writeError}`),
    );
  }
  const kinds = Object.entries(t.failuresByKind);
  if (kinds.length > 0) {
    // Say what to do about them, not only that they exist.
    lines.push(
      `  failures: ${kinds.map(([k, n]) => `${k} ${n}`).join(", ")} (see failures.jsonl; once the cause is fixed, rerun with --retry-failures)`,
    );
  }
  if (s.problems.failedEarlier > 0) {
    lines.push(
      `  skipped ${s.problems.failedEarlier} problems that failed earlier (see failures.jsonl): --retry-failures redoes them`,
    );
  }
  lines.push(
    `  run dir ${s.runDir}: ${s.totals.samples} samples, ${s.totals.plans} plans, ${s.totals.failures} failures`,
  );
  return lines.join("\n");
}

/** What the code run inside the search did (--verify-end, selection by tests or outputs), or null. */
function formatSearchChecks(c: Record<string, number>): string | null {
  const k = STRATEGY_COUNTER_KEYS;
  const parts: string[] = [];
  const tried = c[k.verifyTried] ?? 0;
  if (tried > 0) parts.push(`--verify-end tested ${tried} terminal plans, ${c[k.verifyFailed] ?? 0} failed`);
  const untested = c[k.verifyUntested] ?? 0;
  if (untested > 0) parts.push(`${untested} problems without tests took their first <end>`);
  const byTests = c[k.selectTests] ?? 0;
  const byOutputs = c[k.selectOutputs] ?? 0;
  if (byTests + byOutputs > 0)
    parts.push(
      `plans chosen by tests ${byTests}, by example outputs ${byOutputs}, by identical code ${c[k.selectCode] ?? 0}`,
    );
  return parts.length > 0 ? `  search checks: ${parts.join("; ")}` : null;
}
