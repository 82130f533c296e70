/**
 * `--max-failures N|FRACTION`: stop a clearly broken run (wrong model, a server answering garbage)
 * instead of burning hours recording failures. Counts only this invocation's problems.
 *  - an integer N >= 0: stop once more than N problems failed;
 *  - a fraction 0 < f < 1: stop once more than f of the finished problems failed, judged only after
 *    `minFinished` problems finished (one early failure out of two is not a trend).
 * The setting (config.json's run.maxFailures) is the number, or null for none; MaxFailures is the
 * same, spelled out for the budget. The two conversions are here, beside each other.
 */
import { z } from "zod";
import { UsageError } from "../errors.js";

/** The setting: null = no limit; an integer N >= 0 = at most N failures; 0 < f < 1 = at most that share. */
export const maxFailuresSchema = z
  .number()
  .min(0)
  .refine((n) => Number.isInteger(n) || n < 1, {
    message: "must be a whole number >= 0 or a fraction between 0 and 1",
  })
  .nullable();

export type MaxFailures =
  | { kind: "count"; count: number }
  | { kind: "fraction"; fraction: number }
  | { kind: "none" };

export const MIN_FINISHED_FOR_FRACTION = 10;

export function parseMaxFailures(text: string): MaxFailures {
  const t = text.trim().toLowerCase();
  if (t === "none" || t === "off" || t === "inf") return { kind: "none" };
  const n = Number(t);
  if (t !== "" && Number.isInteger(n) && n >= 0) return { kind: "count", count: n };
  if (t !== "" && Number.isFinite(n) && n > 0 && n < 1) return { kind: "fraction", fraction: n };
  throw new UsageError(
    `--max-failures must be a whole number >= 0, a fraction between 0 and 1, or "none" (got "${text}")`,
  );
}

/** `--max-failures` text to the setting's value. */
export function parseMaxFailuresSetting(text: string): number | null {
  const m = parseMaxFailures(text);
  return m.kind === "none" ? null : m.kind === "count" ? m.count : m.fraction;
}

/** The setting's value to the budget. */
export function maxFailuresOf(setting: number | null): MaxFailures {
  if (setting === null) return { kind: "none" };
  return Number.isInteger(setting)
    ? { kind: "count", count: setting }
    : { kind: "fraction", fraction: setting };
}

/** Why the budget is exceeded, or undefined while the run may go on. */
export function failureBudgetExceeded(
  m: MaxFailures,
  failed: number,
  finished: number,
  minFinished = MIN_FINISHED_FOR_FRACTION,
  what = "problems",
): string | undefined {
  if (m.kind === "count") {
    return failed > m.count ? `${failed} ${what} failed (--max-failures ${m.count})` : undefined;
  }
  if (m.kind === "fraction") {
    if (finished < minFinished) return undefined;
    const rate = failed / finished;
    return rate > m.fraction
      ? `${failed} of ${finished} ${what} failed (${Math.round(rate * 100)}% > --max-failures ${m.fraction})`
      : undefined;
  }
  return undefined;
}

/** Where a run's selected problems stand at its end: this invocation's and those skipped as decided. */
export interface RunOutcomeCounts {
  /** Finished (a sample, or a plan with --stage plans) in this invocation / before it. */
  done: number;
  alreadyDone: number;
  /** Failed in this invocation / recorded as failed earlier and skipped (no --retry-failures). */
  failed: number;
  failedEarlier: number;
}

/**
 * Why a run that went to its end still failed (exit 1), or undefined when it succeeded. Judged on the
 * whole selection (what a script that reruns the command until it succeeds cares about), so a rerun
 * that only skips failures recorded earlier says what the run that recorded them said:
 *  - every selected problem that was decided failed: always a failure, whatever --max-failures says,
 *    since the run produced nothing;
 *  - otherwise the budget of --max-failures, now over all decided problems however few (the wait for
 *    10 problems only keeps an early failure from stopping a run that has just begun).
 */
export function failedRunReason(m: MaxFailures, c: RunOutcomeCounts): string | undefined {
  const failed = c.failed + c.failedEarlier;
  if (failed === 0) return undefined;
  const onlyEarlier = c.failed === 0;
  if (c.done + c.alreadyDone === 0) {
    const which = failed === 1 ? "the only selected problem" : `all ${failed} selected problems`;
    const when = onlyEarlier
      ? " earlier"
      : c.failedEarlier > 0
        ? ` (${c.failedEarlier} of them earlier)`
        : "";
    return `${which} failed${when}`;
  }
  const why = failureBudgetExceeded(m, failed, failed + c.done + c.alreadyDone, 1);
  if (why === undefined) return undefined;
  if (c.failedEarlier === 0) return why;
  return `${why}, ${onlyEarlier ? "all" : c.failedEarlier} of them earlier`;
}
