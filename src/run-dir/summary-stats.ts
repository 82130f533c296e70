/** Small descriptive statistics over arrays of per-problem numbers. Pure. */

export interface Distribution {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** The middle value (the mean of the two middle values for an even count). */
  median: number | null;
  /** Nearest-rank 90th percentile: the smallest value with at least 90% of values at or below it. */
  p90: number | null;
  sum: number;
}

export function describe(values: readonly number[]): Distribution {
  const count = values.length;
  if (count === 0) return { count: 0, min: null, max: null, mean: null, median: null, p90: null, sum: 0 };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const mid = count >> 1;
  const median = count % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const p90 = sorted[Math.max(0, Math.ceil(0.9 * count) - 1)]!;
  return { count, min: sorted[0]!, max: sorted[count - 1]!, mean: sum / count, median, p90, sum };
}

export interface Bin {
  label: string;
  count: number;
}

/** Scores (0-10) in five bins of width 2; the last bin includes 10. Out-of-range values are clamped. */
export const SCORE_BIN_LABELS = ["0-2", "2-4", "4-6", "6-8", "8-10"] as const;

export function scoreBinIndex(score: number): number {
  const clamped = Math.min(10, Math.max(0, score));
  return Math.min(SCORE_BIN_LABELS.length - 1, Math.floor(clamped / 2));
}

/** Steps per plan in bins 0, 1, ..., 9 and "10+". */
export const STEP_BIN_LABELS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10+"] as const;

export function stepBinIndex(steps: number): number {
  return Math.min(STEP_BIN_LABELS.length - 1, Math.max(0, Math.floor(steps)));
}

/**
 * Scores in constant memory, however many nodes a run has: a count, a sum and 101 buckets of 0.1 on the
 * 0-10 scale (out-of-range values are clamped). The median is exact for scores with at most one
 * decimal, which is what evaluators give.
 */
export class ScoreHistogram {
  count = 0;
  sum = 0;
  private readonly fine = new Array<number>(101).fill(0);

  add(score: number): void {
    if (!Number.isFinite(score)) return;
    const clamped = Math.min(10, Math.max(0, score));
    this.count++;
    this.sum += score;
    this.fine[Math.round(clamped * 10)]!++;
  }

  get mean(): number | null {
    return this.count === 0 ? null : this.sum / this.count;
  }

  /** The value at 1-based rank `rank` in sorted order. */
  private at(rank: number): number {
    let seen = 0;
    for (let i = 0; i < this.fine.length; i++) {
      seen += this.fine[i]!;
      if (seen >= rank) return i / 10;
    }
    return 10;
  }

  get median(): number | null {
    if (this.count === 0) return null;
    const mid = (this.count + 1) >> 1;
    return this.count % 2 === 1 ? this.at(mid) : (this.at(mid) + this.at(mid + 1)) / 2;
  }

  bins(): Bin[] {
    const counts = new Array<number>(SCORE_BIN_LABELS.length).fill(0);
    this.fine.forEach((n, i) => {
      counts[scoreBinIndex(i / 10)]! += n;
    });
    return SCORE_BIN_LABELS.map((label, i) => ({ label, count: counts[i]! }));
  }
}
