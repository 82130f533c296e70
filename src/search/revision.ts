/**
 * Revision (the test-time-scaling baselines' sequential revisions): up to `revisionAttempts` attempts,
 * each a whole plan and its code, each written from the attempt before: its plan, its code and what
 * was wrong with it. With tests (a verifier) the code is run: an attempt that passes them all ends the
 * search ("passed"); otherwise the failing test is the feedback. Without tests the critic reads the
 * plan and the code: `<approved>` ends it ("approved"), anything else is the feedback. When the
 * attempts are spent ("rounds"), the attempt kept is the one that passed most tests (ties: the later,
 * which saw more feedback), or without tests the last. One call at a time: each attempt needs the one
 * before.
 */
import {
  bestByTests,
  type Candidate,
  candidatesOutcome,
  describeVerdict,
  draftCandidate,
  draftSteps,
  implementAndCheck,
} from "./candidates.js";
import type { CodeChecks, Critic, Drafter, Implementer, Reviser } from "./policy.js";
import { beginStrategy, requestSeed, type StrategyRunner } from "./strategy.js";
import { STRATEGY_COUNTER_KEYS } from "./strategy-counters.js";

export type RevisionPolicy = Drafter & Critic & Reviser & Implementer & CodeChecks;

/** What was wrong with an attempt, for the next one; null when nothing was (it passed, or was approved). */
async function judgeAttempt(
  policy: RevisionPolicy,
  question: string,
  attempt: Candidate,
  options: { seed: number; signal?: AbortSignal; count: (events: readonly string[]) => void },
): Promise<string | null> {
  if (attempt.code === null || attempt.code === undefined) {
    attempt.feedback = "No code could be written from this plan: make the plan concrete enough to implement.";
    return attempt.feedback;
  }
  if (policy.verifier) {
    const tests = attempt.tests as NonNullable<Candidate["tests"]>;
    attempt.feedback = describeVerdict(tests);
    return tests.status === "pass" ? null : attempt.feedback;
  }
  const critique = await policy.critique(
    { question, steps: attempt.steps, code: attempt.code, seed: options.seed },
    options.signal,
  );
  options.count(critique.events);
  attempt.feedback = critique.raw;
  return critique.approved ? null : critique.critique;
}

export const runRevision: StrategyRunner<RevisionPolicy> = async (problem, ctx) => {
  const begun = beginStrategy(ctx);
  const { params, count, counters } = begun;
  const seed = (label: string) => requestSeed(ctx.rng, label);
  const { policy, signal } = ctx;
  const { question } = problem;

  const drafted = await draftSteps(policy, question, { label: "revision:draft", params, seed, signal });
  count(drafted.events);
  const attempts: Candidate[] = [draftCandidate(drafted.draft, [])];
  let stopReason: "passed" | "approved" | "rounds" = "rounds";
  for (let a = 0; a < params.revisionAttempts; a++) {
    signal?.throwIfAborted();
    const current = attempts[a] as Candidate;
    if (current.steps.length === 0) break;
    count(
      await implementAndCheck(policy, question, current, { seed: seed(`revision:implement:${a}`), signal }),
    );
    const feedback = await judgeAttempt(policy, question, current, {
      seed: seed(`revision:critique:${a}`),
      signal,
      count,
    });
    if (feedback === null) {
      stopReason = policy.verifier ? "passed" : "approved";
      if (!policy.verifier) counters.add(STRATEGY_COUNTER_KEYS.critiqueApproved);
      break;
    }
    if (a + 1 >= params.revisionAttempts) break;
    const revised = await policy.revise(
      {
        question,
        steps: current.steps,
        code: current.code ?? null,
        feedback,
        seed: seed(`revision:revise:${a}`),
      },
      signal,
    );
    count(revised.events);
    if (revised.steps.length === 0) {
      // The next attempt retries the same plan (its code is written again with a new seed).
      counters.add(STRATEGY_COUNTER_KEYS.reviseEmpty);
      attempts.push({ ...current, code: undefined, tests: undefined, feedback: undefined });
      continue;
    }
    attempts.push(draftCandidate(revised, []));
  }
  const tried = attempts.filter((c) => c.code !== undefined || c.steps.length === 0);
  const chosen = policy.verifier ? bestByTests(tried, { preferLater: true }) : tried.length - 1;
  if (policy.verifier) counters.add(STRATEGY_COUNTER_KEYS.selectTests);
  return begun.finish(
    candidatesOutcome({
      strategy: "revision",
      candidates: tried,
      chosen: Math.max(chosen, 0),
      stopReason,
      iterations: tried.length,
      emptyMessage: `${problem.id}: the first plan had no steps after ${drafted.generations} generation${drafted.generations === 1 ? "" : "s"}`,
    }),
  );
};
