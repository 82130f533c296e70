/**
 * Time limits (pure). evalplus (evalplus/eval/__init__.py `untrusted_check`, evalplus/config.py):
 * each input may take max(4.0 s, 4 x the canonical solution's time on it); the whole set is given
 * min(60 s, the sum of those) plus a grace: evalplus adds 1 s to that and joins its process with one
 * more second, so a child is killed min(60, sum) + 2 s after it started. We use the same.
 */
export const EVALPLUS_LIMITS = {
  minSeconds: 4,
  factor: 4,
  capSeconds: 60,
  graceSeconds: 2,
} as const;

export type TimeLimitRule = { minSeconds: number; factor: number; capSeconds: number; graceSeconds: number };

export function perInputLimits(
  canonicalSeconds: readonly number[],
  rule: TimeLimitRule = EVALPLUS_LIMITS,
): number[] {
  return canonicalSeconds.map((t) => Math.max(rule.minSeconds, rule.factor * t));
}

export function setDeadline(limits: readonly number[], rule: TimeLimitRule = EVALPLUS_LIMITS): number {
  const sum = limits.reduce((a, b) => a + b, 0);
  return Math.min(rule.capSeconds, sum) + rule.graceSeconds;
}

/** Limits for trusted runs of canonical solutions (evalplus gives them none; we bound a broken one). */
export const CANONICAL_LIMITS = { perInputSeconds: 120, deadlineSeconds: 1200 } as const;

/**
 * Per-test limit for assert tests, which have no canonical timing (the original HumanEval and MBPP
 * harnesses allow about 3 s for a whole program; MBPP's task 123 alone takes seconds on a busy
 * machine): 10 s each, the whole check capped as above.
 */
export const ASSERT_LIMITS = { perTestSeconds: 10 } as const;

export function assertDeadline(
  tests: number,
  perTest: number,
  rule: TimeLimitRule = EVALPLUS_LIMITS,
): number {
  return Math.min(rule.capSeconds, Math.max(1, tests) * perTest) + rule.graceSeconds;
}
