/**
 * Totals of a whole run directory (all invocations), streamed from its files: what summary.json's
 * `totals` reports, so the numbers describe the dataset, not just the last resume.
 */
import { readLines } from "../util/jsonl.js";
import { parseJson } from "../util/parse-json.js";
import { fileExists, lineId, runPath } from "./run-files.js";

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

async function* records(file: string): AsyncGenerator<Record<string, unknown>> {
  if (!(await fileExists(file))) return;
  for await (const { text } of readLines(file)) {
    if (text.trim() === "") continue;
    const parsed = parseJson(text);
    // Torn or foreign lines are not counted here; resume reports them where they matter.
    if (parsed.ok && typeof parsed.value === "object" && parsed.value !== null) {
      yield parsed.value as Record<string, unknown>;
    }
  }
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const mean = (sum: number, n: number): number | null => (n > 0 ? Math.round((sum / n) * 1000) / 1000 : null);

export async function computeRunTotals(dir: string): Promise<RunTotals> {
  const sampleIds = new Set<string>();
  let calls = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  let seconds = 0;
  for await (const r of records(runPath(dir, "samples"))) {
    if (typeof r.id !== "string" || sampleIds.has(r.id)) continue;
    sampleIds.add(r.id);
    const meta = (r.meta ?? {}) as Record<string, unknown>;
    calls += num(meta.calls);
    promptTokens += num(meta.promptTokens);
    completionTokens += num(meta.completionTokens);
    seconds += num(meta.seconds);
  }
  const planIds = new Set<string>();
  let reachedEnd = 0;
  let steps = 0;
  const stopReasons: Record<string, number> = {};
  for await (const r of records(runPath(dir, "plans"))) {
    if (typeof r.id !== "string" || planIds.has(r.id)) continue;
    planIds.add(r.id);
    if (r.reachedEnd === true) reachedEnd++;
    if (Array.isArray(r.steps)) steps += r.steps.length;
    if (typeof r.stopReason === "string") stopReasons[r.stopReason] = (stopReasons[r.stopReason] ?? 0) + 1;
  }
  const failureIds = new Set<string>();
  if (await fileExists(runPath(dir, "failures"))) {
    for await (const { text } of readLines(runPath(dir, "failures"))) {
      const id = lineId(text, { whole: true });
      if (id !== undefined && !sampleIds.has(id)) failureIds.add(id);
    }
  }
  const n = sampleIds.size;
  return {
    samples: n,
    plans: planIds.size,
    failures: failureIds.size,
    calls,
    promptTokens,
    completionTokens,
    meanCalls: mean(calls, n),
    meanTokens: mean(promptTokens + completionTokens, n),
    meanSeconds: mean(seconds, n),
    reachedEndRate: mean(reachedEnd, planIds.size),
    meanSteps: mean(steps, planIds.size),
    stopReasons,
  };
}
