/**
 * pass@k, the unbiased estimator of Chen et al. (2021) and the paper's eq. 7 (pure): with n samples
 * of a task of which c pass, pass@k = 1 - C(n-c, k) / C(n, k), averaged over tasks. Computed as
 * 1 - prod_{i=n-c+1..n} (1 - k/i), which never forms a binomial coefficient (C(200, 100) overflows a
 * double), as openai/human-eval and evalplus do.
 */

/** The k values reported, each only when every task has at least k samples. */
export const PASS_AT_K = [1, 5, 10] as const;

export function passAtK(n: number, c: number, k: number): number {
  if (
    !Number.isInteger(n) ||
    !Number.isInteger(c) ||
    !Number.isInteger(k) ||
    n < 1 ||
    c < 0 ||
    c > n ||
    k < 1 ||
    k > n
  ) {
    throw new RangeError(`pass@k needs integers 0 <= c <= n, 1 <= k <= n (got n=${n}, c=${c}, k=${k})`);
  }
  if (n - c < k) return 1;
  let miss = 1;
  for (let i = n - c + 1; i <= n; i++) miss *= 1 - k / i;
  return 1 - miss;
}

export interface TaskCount {
  n: number;
  c: number;
}

/** Mean pass@k over tasks, for each k in `ks` that every task's n reaches; keys are "1", "5", "10". */
export function meanPassAtK(
  counts: readonly TaskCount[],
  ks: readonly number[] = PASS_AT_K,
): Record<string, number> {
  const out: Record<string, number> = {};
  if (counts.length === 0) return out;
  const minN = Math.min(...counts.map((t) => t.n));
  for (const k of ks) {
    if (k > minN) continue;
    out[String(k)] = counts.reduce((sum, t) => sum + passAtK(t.n, t.c, k), 0) / counts.length;
  }
  return out;
}
