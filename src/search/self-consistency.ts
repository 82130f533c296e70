/**
 * Self-consistency (Wang et al. 2023, as the test-time-scaling baselines run it on code): N
 * independent CoT plans and their code, written concurrently, and the answer most of them agree on.
 * With tests (a verifier), the plan whose code passes most wins, as in best-of-n. Without tests but
 * with example inputs (a runner), the codes are run on the examples, grouped by their outputs (codes
 * that failed on every example form no group), and the largest group wins; without either, codes are
 * grouped by their text (comments and blank lines ignored), so only identical programs agree. Ties go
 * to the group whose first member came first, and that member is the plan kept, with its code.
 */
import {
  bestByTests,
  type Candidate,
  candidatesOutcome,
  implementAndCheck,
  independentCandidates,
} from "./candidates.js";
import type { CodeChecks, Drafter, Implementer } from "./policy.js";
import { beginStrategy, requestSeed, type StrategyRunner } from "./strategy.js";
import { STRATEGY_COUNTER_KEYS } from "./strategy-counters.js";

export type SelfConsistencyPolicy = Drafter & Implementer & CodeChecks;

export const runSelfConsistency: StrategyRunner<SelfConsistencyPolicy> = async (problem, ctx) => {
  const begun = beginStrategy(ctx);
  const { params } = begun;
  const seed = (label: string) => requestSeed(ctx.rng, label);
  const { policy, signal } = ctx;
  const { candidates, generations } = await independentCandidates(policy, problem.question, {
    prefix: "self-consistency",
    n: params.samples,
    params,
    seed,
    ...(signal ? { signal } : {}),
    count: begun.count,
    // Every plan's code, tested or run on the examples when the problem allows.
    more: (candidate, label) =>
      implementAndCheck(policy, problem.question, candidate, {
        seed: seed(`${label}:implement`),
        signal,
        examples: true,
      }),
  });
  const { chosen, by } = chooseConsistent(
    candidates,
    policy.verifier !== undefined,
    policy.runner !== undefined,
  );
  begun.counters.add(by);
  return begun.finish(
    candidatesOutcome({
      strategy: "self-consistency",
      candidates,
      chosen,
      stopReason: "selected",
      iterations: generations,
      emptyMessage: `${problem.id}: none of the ${params.samples} plans had a step`,
    }),
  );
};

/** Which candidate self-consistency keeps, and by what (a counter key). */
export function chooseConsistent(
  candidates: readonly Candidate[],
  tested: boolean,
  ran: boolean,
): { chosen: number; by: string } {
  if (tested) return { chosen: bestByTests(candidates), by: STRATEGY_COUNTER_KEYS.selectTests };
  // No group at all (no code, or every run failed): the first plan with steps.
  const fallback = Math.max(
    candidates.findIndex((c) => c.steps.length > 0),
    0,
  );
  if (ran) {
    return {
      chosen: largestCluster(candidates.map(outputsKey), fallback),
      by: STRATEGY_COUNTER_KEYS.selectOutputs,
    };
  }
  const codeKey = (c: Candidate) =>
    c.steps.length > 0 && typeof c.code === "string" ? normaliseCode(c.code) : null;
  return { chosen: largestCluster(candidates.map(codeKey), fallback), by: STRATEGY_COUNTER_KEYS.selectCode };
}

/** A candidate's outputs as a cluster key; null (in no cluster) without code, or when every run failed. */
function outputsKey(c: Candidate): string | null {
  if (c.steps.length === 0 || !c.outputs || c.outputs.every((o) => o === null)) return null;
  return JSON.stringify(c.outputs.map((o) => (o === null ? null : o.trim())));
}

/** Code without comments, blank lines and trailing spaces: two programs that differ only there agree. */
export function normaliseCode(code: string): string {
  return code
    .split(/\r?\n/)
    .map((line) =>
      line
        .replace(/\s+#.*$/, "")
        .replace(/^\s*#.*$/, "")
        .trimEnd(),
    )
    .filter((line) => line !== "")
    .join("\n");
}

/**
 * The first member of the largest group of equal keys (null keys belong to no group); ties go to the
 * group whose first member is earliest. All keys null: `fallback`.
 */
export function largestCluster(keys: readonly (string | null)[], fallback = 0): number {
  const groups = new Map<string, { first: number; size: number }>();
  for (const [i, key] of keys.entries()) {
    if (key === null) continue;
    const g = groups.get(key);
    if (g) g.size += 1;
    else groups.set(key, { first: i, size: 1 });
  }
  let best: { first: number; size: number } | undefined;
  // Map iteration follows insertion, i.e. first members in order: a later group wins only when larger.
  for (const g of groups.values()) if (!best || g.size > best.size) best = g;
  return best?.first ?? fallback;
}
