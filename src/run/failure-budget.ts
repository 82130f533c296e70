/**
 * `--max-failures N|FRACTION`: stop a clearly broken run (wrong model, a server answering garbage)
 * instead of burning hours recording failures. Counts only this invocation's problems.
 *  - an integer N >= 0: stop once more than N problems failed;
 *  - a fraction 0 < f < 1: stop once more than f of the finished problems failed, judged only after
 *    `minFinished` problems finished (one early failure out of two is not a trend).
 */
import { UsageError } from "../errors.js";

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

export function formatMaxFailures(m: MaxFailures): string {
  if (m.kind === "count") return String(m.count);
  if (m.kind === "fraction") return String(m.fraction);
  return "none";
}

/** Why the budget is exceeded, or undefined while the run may go on. */
export function failureBudgetExceeded(
  m: MaxFailures,
  failed: number,
  finished: number,
  minFinished = MIN_FINISHED_FOR_FRACTION,
): string | undefined {
  if (m.kind === "count") {
    return failed > m.count ? `${failed} problems failed (--max-failures ${m.count})` : undefined;
  }
  if (m.kind === "fraction") {
    if (finished < minFinished) return undefined;
    const rate = failed / finished;
    return rate > m.fraction
      ? `${failed} of ${finished} problems failed (${Math.round(rate * 100)}% > --max-failures ${m.fraction})`
      : undefined;
  }
  return undefined;
}
