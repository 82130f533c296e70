/**
 * The one fold over a run directory's records: feed a run's config, trees, plans, samples and
 * failures (in any order, one at a time), then `result()` (what `sra stats` shows) or `totals()`
 * (summary.json's whole-directory totals). Only numbers are kept (per-problem arrays, score
 * histograms, and ids for de-duplication), never trees, so a run of any size streams through. Pure: no I/O.
 *
 * Counters (`score.*`, `step.*`, ...) are events counted by the search engine per problem. A tree and
 * its plan may carry the same counters, so they are not added up across files: the search counters
 * are those of trees.jsonl (of plans.jsonl when the run has no trees), and a sample's counters add only
 * keys that the search counters do not have (code-stage events).
 */
import {
  type Failure,
  isWholePlan,
  type PlanRecord,
  type Sample,
  scoreFormSchema,
  type TreeRecord,
} from "../types.js";
import {
  type Bin,
  type Distribution,
  describe,
  ScoreHistogram,
  STEP_BIN_LABELS,
  stepBinIndex,
} from "./summary-stats.js";

export interface ScoreStats {
  count: number;
  mean: number | null;
  median: number | null;
  bins: Bin[];
}

export interface UsageStats {
  /** Records that had usage. */
  records: number;
  calls: Distribution;
  promptTokens: Distribution;
  completionTokens: Distribution;
  seconds: Distribution;
}

export interface RunStats {
  run: string;
  /** The served model (what generate names), else what the samples name. */
  model: string | null;
  /** The preset --model named, when it is not the served name itself. */
  preset: string | null;
  strategy: string | null;
  /** summary.json is there: the run ended (rather than being killed or still going). */
  finished: boolean;
  /** merge-report.json is there: `sra merge` wrote this directory (it writes no summary.json). */
  merged: boolean;
  records: { trees: number; plans: number; samples: number; failures: number };
  problems: {
    /** Distinct problem ids in any file. */
    seen: number;
    /** Distinct ids with a sample. */
    done: number;
    /** Distinct ids with a failure and no sample. */
    failed: number;
    /** Seen but neither done nor failed (a run killed or still going). */
    unfinished: number;
  };
  failures: { records: number; byStage: Record<string, number>; byKind: Record<string, number> };
  plans: {
    count: number;
    /** Plans searched step by step (not isWholePlan), and those that reached <end>. */
    searched: number;
    reachedEnd: number;
    /** Plans written whole (CoT, best-of-n, self-refine, ...: isWholePlan), and those not cut off by max tokens. */
    singlePass: number;
    complete: number;
    stopReasons: Record<string, number>;
    steps: Distribution;
    stepBins: Bin[];
  };
  scores: {
    /**
     * How evaluator replies were parsed, from the `score.<form>` counters: the forms of src/types.ts
     * ScoreForm, and the share that fell back to the default value (a high share: the evaluator is not
     * following the prompt; look at the raw replies in trees.jsonl).
     */
    parse: { forms: Record<string, number>; fallbackRate: number | null };
    /** Scores of the steps on the chosen paths (plans.jsonl). */
    chosen: ScoreStats;
    /** Every scored node of every tree (trees.jsonl; the root has no score). */
    nodes: ScoreStats;
  };
  /** Summed counters grouped by prefix (`score.labelled` -> group "score"). */
  counters: Record<string, Record<string, number>>;
  /** Steps regenerated because they repeated a sibling or an ancestor (node `regenerated`, summed). */
  regenerated: number | null;
  usage: {
    /** Per plan (search stage), from plans.jsonl. */
    perPlan: UsageStats;
    /** Per sample, from samples.jsonl meta (generate sums the plan and code stages of the problem there). */
    perSample: UsageStats;
    /** LLM calls by role, summed over plans.jsonl. */
    callsByRole: Record<string, number>;
  };
  code: {
    /** Failures of kind "no-code". */
    noCode: number;
    /** How the code was found in the reply (`meta.codeFrom`), "unknown" when not recorded. */
    codeFrom: Record<string, number>;
    /** generate's code checks: samples whose code was compiled (`meta.compiles`), failures of kind
     * "compile-error" (never compiled), and code attempts asked again for not compiling. */
    compiled: number;
    compileErrors: number;
    compileFailures: number;
    /** Samples run against their problem's tests (`meta.tests`), by status, and the tests they passed. */
    tests: { samples: number; pass: number; fail: number; timeout: number; passed: number; total: number };
  };
}

/**
 * summary.json's `totals`: the whole directory, each problem id counted once (its first record), so
 * the numbers describe the dataset whatever the number of invocations.
 */
export interface RunTotals {
  samples: number;
  plans: number;
  /** Ids with a recorded failure and no sample. */
  failures: number;
  /** Sums over samples (plan + code). */
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** Mean per-sample figures, null without samples. */
  meanCalls: number | null;
  meanTokens: number | null;
  meanSeconds: number | null;
  /** Over plans. */
  reachedEndRate: number | null;
  meanSteps: number | null;
  stopReasons: Record<string, number>;
}

export interface RunConfigFacts {
  /** The served model name, and the preset --model named (when it is not the served name). */
  model?: string | undefined;
  preset?: string | undefined;
  strategy?: string | undefined;
}

const mean = (sum: number, n: number): number | null => (n > 0 ? Math.round((sum / n) * 1000) / 1000 : null);

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

function addCounters(into: Record<string, number>, counters: Record<string, number>): void {
  for (const [key, value] of Object.entries(counters)) if (Number.isFinite(value)) bump(into, key, value);
}

function scoreStats(h: ScoreHistogram): ScoreStats {
  return { count: h.count, mean: h.mean, median: h.median, bins: h.bins() };
}

function scoreParse(score: Record<string, number>): RunStats["scores"]["parse"] {
  const forms: Record<string, number> = {};
  let total = 0;
  for (const form of scoreFormSchema.options) {
    const n = score[`score.${form}`];
    if (n === undefined) continue;
    forms[form] = n;
    total += n;
  }
  return { forms, fallbackRate: total === 0 ? null : (forms.fallback ?? 0) / total };
}

function counterGroup(key: string): string {
  const dot = key.indexOf(".");
  return dot > 0 ? key.slice(0, dot) : "other";
}

export class RunStatsAccumulator {
  private config: RunConfigFacts = {};
  private finished = false;
  private readonly records = { trees: 0, plans: 0, samples: 0, failures: 0 };
  private readonly seen = new Set<string>();
  private readonly done = new Set<string>();
  private readonly failedIds = new Set<string>();
  private readonly failuresByStage: Record<string, number> = {};
  private readonly failuresByKind: Record<string, number> = {};
  private merged = false;
  private searched = 0;
  private reachedEnd = 0;
  private singlePass = 0;
  private complete = 0;
  private readonly stopReasons: Record<string, number> = {};
  private readonly steps: number[] = [];
  private readonly stepBins = new Array<number>(STEP_BIN_LABELS.length).fill(0);
  private readonly chosenScores = new ScoreHistogram();
  private readonly nodeScores = new ScoreHistogram();
  private readonly treeCounters: Record<string, number> = {};
  private readonly planCounters: Record<string, number> = {};
  private readonly sampleCounters: Record<string, number> = {};
  private regenerated = 0;
  private readonly planUsage = {
    calls: [] as number[],
    prompt: [] as number[],
    completion: [] as number[],
    seconds: [] as number[],
  };
  private readonly sampleUsage = {
    calls: [] as number[],
    prompt: [] as number[],
    completion: [] as number[],
    seconds: [] as number[],
  };
  private readonly callsByRole: Record<string, number> = {};
  private noCode = 0;
  private readonly codeFrom: Record<string, number> = {};
  private readonly checks = { compiled: 0, compileErrors: 0, compileFailures: 0 };
  private readonly tests = { samples: 0, pass: 0, fail: 0, timeout: 0, passed: 0, total: 0 };
  /** Totals: the first record of each id only (stop reasons in the order first seen). */
  private readonly planIds = new Set<string>();
  private readonly firstPlans = { reachedEnd: 0, steps: 0, stopReasons: {} as Record<string, number> };
  private readonly firstSamples = { calls: 0, promptTokens: 0, completionTokens: 0, seconds: 0 };
  private firstPlanStrategy: string | undefined;
  private firstSampleModel: string | undefined;
  private firstSampleStrategy: string | undefined;

  constructor(readonly run: string) {}

  setConfig(facts: RunConfigFacts): void {
    this.config = { ...facts };
  }

  setFinished(finished: boolean, merged = false): void {
    this.finished = finished;
    this.merged = merged;
  }

  addTree(tree: TreeRecord): void {
    this.records.trees++;
    this.seen.add(tree.id);
    addCounters(this.treeCounters, tree.counters);
    for (const node of tree.nodes) {
      this.regenerated += node.regenerated;
      const value = node.score.value;
      if (node.parentId !== null && value !== null) this.nodeScores.add(value);
    }
  }

  addPlan(plan: PlanRecord): void {
    this.records.plans++;
    this.seen.add(plan.id);
    if (!this.planIds.has(plan.id)) {
      this.planIds.add(plan.id);
      if (plan.reachedEnd) this.firstPlans.reachedEnd++;
      this.firstPlans.steps += plan.steps.length;
      bump(this.firstPlans.stopReasons, plan.stopReason);
    }
    this.firstPlanStrategy ??= plan.strategy;
    // A single-pass plan has no <end> to reach: its reachedEnd says the draft was not cut off.
    if (isWholePlan(plan.stopReason)) {
      this.singlePass++;
      if (plan.reachedEnd) this.complete++;
    } else {
      this.searched++;
      if (plan.reachedEnd) this.reachedEnd++;
    }
    bump(this.stopReasons, plan.stopReason);
    this.steps.push(plan.steps.length);
    this.stepBins[stepBinIndex(plan.steps.length)]!++;
    for (const score of plan.scores) if (score !== null) this.chosenScores.add(score);
    addCounters(this.planCounters, plan.counters);
    this.planUsage.calls.push(plan.usage.calls);
    this.planUsage.prompt.push(plan.usage.promptTokens);
    this.planUsage.completion.push(plan.usage.completionTokens);
    this.planUsage.seconds.push(plan.seconds);
    for (const [role, n] of Object.entries(plan.usage.byRole)) bump(this.callsByRole, role, n);
  }

  addSample(sample: Sample): void {
    this.records.samples++;
    this.seen.add(sample.id);
    if (!this.done.has(sample.id)) {
      this.firstSamples.calls += sample.meta.calls;
      this.firstSamples.promptTokens += sample.meta.promptTokens;
      this.firstSamples.completionTokens += sample.meta.completionTokens;
      this.firstSamples.seconds += sample.meta.seconds;
    }
    this.done.add(sample.id);
    this.firstSampleModel ??= sample.meta.model;
    this.firstSampleStrategy ??= sample.meta.strategy;
    addCounters(this.sampleCounters, sample.meta.counters);
    this.sampleUsage.calls.push(sample.meta.calls);
    this.sampleUsage.prompt.push(sample.meta.promptTokens);
    this.sampleUsage.completion.push(sample.meta.completionTokens);
    this.sampleUsage.seconds.push(sample.meta.seconds);
    bump(this.codeFrom, sample.meta.codeFrom ?? "unknown");
    if (sample.meta.compiles === true) this.checks.compiled++;
    this.checks.compileFailures += sample.meta.counters.compileFailures ?? 0;
    const t = sample.meta.tests;
    if (t) {
      this.tests.samples++;
      this.tests[t.status]++;
      this.tests.passed += t.passed;
      this.tests.total += t.total;
    }
  }

  addFailure(failure: Failure): void {
    this.records.failures++;
    this.seen.add(failure.id);
    this.failedIds.add(failure.id);
    bump(this.failuresByStage, failure.stage);
    bump(this.failuresByKind, failure.kind);
    if (failure.kind === "no-code") this.noCode++;
    if (failure.kind === "compile-error") this.checks.compileErrors++;
  }

  /** Ids with a failure and no sample. */
  private failedOnly(): number {
    let failed = 0;
    for (const id of this.failedIds) if (!this.done.has(id)) failed++;
    return failed;
  }

  totals(): RunTotals {
    const n = this.done.size;
    const s = this.firstSamples;
    const p = this.firstPlans;
    return {
      samples: n,
      plans: this.planIds.size,
      failures: this.failedOnly(),
      calls: s.calls,
      promptTokens: s.promptTokens,
      completionTokens: s.completionTokens,
      meanCalls: mean(s.calls, n),
      meanTokens: mean(s.promptTokens + s.completionTokens, n),
      meanSeconds: mean(s.seconds, n),
      reachedEndRate: mean(p.reachedEnd, this.planIds.size),
      meanSteps: mean(p.steps, this.planIds.size),
      stopReasons: { ...p.stopReasons },
    };
  }

  result(): RunStats {
    const failed = this.failedOnly();
    const search = this.records.trees > 0 ? this.treeCounters : this.planCounters;
    const merged: Record<string, number> = { ...search };
    for (const [key, value] of Object.entries(this.sampleCounters)) if (!(key in search)) merged[key] = value;
    const counters: Record<string, Record<string, number>> = {};
    for (const key of Object.keys(merged).sort()) {
      const group = counterGroup(key);
      counters[group] ??= {};
      counters[group][key] = merged[key]!;
    }
    const usage = (u: typeof this.planUsage): UsageStats => ({
      records: u.calls.length,
      calls: describe(u.calls),
      promptTokens: describe(u.prompt),
      completionTokens: describe(u.completion),
      seconds: describe(u.seconds),
    });
    return {
      run: this.run,
      model: this.config.model ?? this.firstSampleModel ?? null,
      preset: this.config.preset ?? null,
      strategy: this.config.strategy ?? this.firstPlanStrategy ?? this.firstSampleStrategy ?? null,
      finished: this.finished,
      merged: this.merged,
      records: { ...this.records },
      problems: {
        seen: this.seen.size,
        done: this.done.size,
        failed,
        unfinished: this.seen.size - this.done.size - failed,
      },
      failures: {
        records: this.records.failures,
        byStage: sortedRecord(this.failuresByStage),
        byKind: sortedRecord(this.failuresByKind),
      },
      plans: {
        count: this.records.plans,
        searched: this.searched,
        reachedEnd: this.reachedEnd,
        singlePass: this.singlePass,
        complete: this.complete,
        stopReasons: sortedRecord(this.stopReasons),
        steps: describe(this.steps),
        stepBins: STEP_BIN_LABELS.map((label, i) => ({ label, count: this.stepBins[i] ?? 0 })),
      },
      scores: {
        parse: scoreParse(counters.score ?? {}),
        chosen: scoreStats(this.chosenScores),
        nodes: scoreStats(this.nodeScores),
      },
      counters,
      regenerated: this.records.trees > 0 ? this.regenerated : null,
      usage: {
        perPlan: usage(this.planUsage),
        perSample: usage(this.sampleUsage),
        callsByRole: sortedRecord(this.callsByRole),
      },
      code: {
        noCode: this.noCode,
        codeFrom: sortedRecord(this.codeFrom),
        ...this.checks,
        tests: { ...this.tests },
      },
    };
  }
}

function sortedRecord(map: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(map).sort()) out[key] = map[key]!;
  return out;
}
