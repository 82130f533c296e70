/**
 * Best-of-N (the test-time-scaling baselines' Best-of-N): N independent CoT plans, written
 * concurrently, and the best one kept. When the problem carries tests (the policy has a verifier),
 * each plan is implemented and run, and the plan whose code passes most wins (ties: the earlier
 * plan); its code goes on to the sample. Otherwise every step of every plan is scored by the same
 * evaluator SRA-MCTS uses, and the plan with the best aggregate (`planScore`: mean, min or last step)
 * wins. Plan i's requests are labelled `best-of-n:i:...`, so the result depends on the seed only,
 * never on which plan was answered first.
 */
import {
  bestByTests,
  type Candidate,
  candidatesOutcome,
  implementAndCheck,
  independentCandidates,
  settleAll,
} from "./candidates.js";
import type { SearchParams } from "./params.js";
import type { CodeChecks, Drafter, Evaluator, Implementer } from "./policy.js";
import { beginStrategy, requestSeed, type StrategyRunner } from "./strategy.js";
import { STRATEGY_COUNTER_KEYS } from "./strategy-counters.js";

export type BestOfNPolicy = Drafter & Evaluator & Implementer & CodeChecks;

export const runBestOfN: StrategyRunner<BestOfNPolicy> = async (problem, ctx) => {
  const begun = beginStrategy(ctx);
  const { params } = begun;
  const seed = (label: string) => requestSeed(ctx.rng, label);
  const { policy, signal } = ctx;
  const { question } = problem;
  const byTests = policy.verifier !== undefined;

  /** With tests: the plan's code and its verdict. Without: every step's score. */
  const judge = async (candidate: Candidate, label: string): Promise<string[]> => {
    if (byTests)
      return implementAndCheck(policy, question, candidate, { seed: seed(`${label}:implement`), signal });
    const scored = await settleAll(
      candidate.steps.map((step, k) =>
        policy.evaluate(
          {
            question,
            steps: candidate.steps.slice(0, k),
            step,
            seed: (a) => seed(`${label}:evaluate:${k}:${a}`),
          },
          signal,
        ),
      ),
    );
    candidate.scores = scored.map((s) => s.score.value);
    return scored.flatMap((s) => s.events);
  };

  const { candidates, generations } = await independentCandidates(policy, question, {
    prefix: "best-of-n",
    n: params.samples,
    params,
    seed,
    ...(signal ? { signal } : {}),
    count: begun.count,
    more: judge,
  });
  const chosen = byTests ? bestByTests(candidates) : bestByScore(candidates, params.planScore);
  begun.counters.add(byTests ? STRATEGY_COUNTER_KEYS.selectTests : STRATEGY_COUNTER_KEYS.selectScore);
  return begun.finish(
    candidatesOutcome({
      strategy: "best-of-n",
      candidates,
      chosen,
      stopReason: "selected",
      iterations: generations,
      emptyMessage: `${problem.id}: none of the ${params.samples} plans had a step`,
    }),
  );
};

/** A plan's score from its steps' scores (null scores left out; none at all: -1, below any plan). */
export function planScoreOf(scores: readonly (number | null)[], how: SearchParams["planScore"]): number {
  const known = scores.filter((s): s is number => s !== null);
  if (known.length === 0) return -1;
  if (how === "min") return Math.min(...known);
  if (how === "last") return known.at(-1) as number;
  return known.reduce((a, b) => a + b, 0) / known.length;
}

/** The index of the best-scored candidate with steps (ties: the earlier one). */
export function bestByScore(candidates: readonly Candidate[], how: SearchParams["planScore"]): number {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const [i, c] of candidates.entries()) {
    if (c.steps.length === 0) continue;
    const score = planScoreOf(c.scores, how);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}
