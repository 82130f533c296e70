/**
 * Self-refine (Madaan et al. 2023, one of the test-time-scaling baselines): a CoT plan, then up to
 * `refineRounds` rounds of feedback and refinement by the same model. Each round the critic reads the
 * current plan; `<approved>` stops the search ("approved"), anything else is the feedback the reviser
 * rewrites the plan from. The last revision is the plan kept (Self-Refine returns its final
 * refinement, not a judged best); it is not critiqued again ("rounds"). A revision without steps keeps
 * the plan it revised (counted), so a bad round never loses a plan. One call at a time: each depends
 * on the one before.
 */
import { type Candidate, candidatesOutcome, draftCandidate, draftSteps } from "./candidates.js";
import type { Critic, Drafter, Reviser } from "./policy.js";
import { beginStrategy, requestSeed, type StrategyRunner } from "./strategy.js";
import { STRATEGY_COUNTER_KEYS } from "./strategy-counters.js";

export type SelfRefinePolicy = Drafter & Critic & Reviser;

export const runSelfRefine: StrategyRunner<SelfRefinePolicy> = async (problem, ctx) => {
  const begun = beginStrategy(ctx);
  const { params, count, counters } = begun;
  const seed = (label: string) => requestSeed(ctx.rng, label);
  const { policy, signal } = ctx;
  const { question } = problem;

  const drafted = await draftSteps(policy, question, { label: "self-refine:draft", params, seed, signal });
  count(drafted.events);
  const candidates: Candidate[] = [draftCandidate(drafted.draft, [])];
  let stopReason: "approved" | "rounds" = "rounds";
  let round = 0;
  while ((candidates.at(-1) as Candidate).steps.length > 0 && round < params.refineRounds) {
    signal?.throwIfAborted();
    const current = candidates.at(-1) as Candidate;
    const critique = await policy.critique(
      { question, steps: current.steps, code: null, seed: seed(`self-refine:critique:${round}`) },
      signal,
    );
    count(critique.events);
    current.feedback = critique.raw;
    if (critique.approved) {
      counters.add(STRATEGY_COUNTER_KEYS.critiqueApproved);
      stopReason = "approved";
      break;
    }
    const revised = await policy.revise(
      {
        question,
        steps: current.steps,
        code: null,
        feedback: critique.critique,
        seed: seed(`self-refine:revise:${round}`),
      },
      signal,
    );
    count(revised.events);
    round += 1;
    if (revised.steps.length === 0) {
      counters.add(STRATEGY_COUNTER_KEYS.reviseEmpty);
      continue;
    }
    candidates.push(draftCandidate(revised, []));
  }
  return begun.finish(
    candidatesOutcome({
      strategy: "self-refine",
      candidates,
      chosen: candidates.length - 1,
      stopReason,
      iterations: round,
      emptyMessage: `${problem.id}: the first plan had no steps after ${drafted.generations} generation${drafted.generations === 1 ? "" : "s"}`,
    }),
  );
};
