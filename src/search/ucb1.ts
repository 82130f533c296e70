/**
 * UCB1 (paper eq. 1): UCB1_i = r_i + c * sqrt(2 * ln N / n_i), with r_i the child's reward, n_i its
 * visits and N its parent's visits. An unvisited child (n_i = 0) scores +Infinity, so it is tried
 * first. With N <= 1 the exploration term is 0 (ln 1 = 0; ln 0 is taken as 0 rather than NaN).
 */
export function ucb1(childValue: number, childVisits: number, parentVisits: number, c: number): number {
  if (childVisits <= 0) return Number.POSITIVE_INFINITY;
  if (parentVisits <= 1 || c === 0) return childValue;
  return childValue + c * Math.sqrt((2 * Math.log(parentVisits)) / childVisits);
}

/**
 * r_i, the reward UCB1 above (and backpropagation, eq. 6) works with, of a freshly scored child: its
 * evaluation score (eq. 4, 0-10) as is ("raw", the paper's reference code), or score/10 ("unit", UCB1's
 * textbook [0, 1] scale). A child without a usable score counts as `fallbackScore`. See
 * searchParamsSchema.rewardScale for why raw is the default.
 */
export function nodeReward(
  score: number | null,
  params: { rewardScale: "unit" | "raw"; fallbackScore: number },
): number {
  const value = score ?? params.fallbackScore;
  return params.rewardScale === "unit" ? value / 10 : value;
}
