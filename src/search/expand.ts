/**
 * Expansion (paper eq. 2-3) and evaluation (eq. 4) of one selected leaf.
 *
 * `branches` children are written one after another; the i-th proposal is shown the reflection and
 * the i-1 siblings already accepted, so it proposes a different idea. A step that is empty after
 * cleaning, or that repeats a sibling or an ancestor (normaliseStep), is regenerated up to
 * maxRegenerations times (the rejected repeats are listed with the siblings so the retry is told to
 * avoid them); after that its slot is dropped and counted. Each accepted child is scored at once,
 * concurrently with writing the next sibling; all scores are awaited before returning, so
 * backpropagation sees every child. A child starts with one visit and r = its score (score/10 with
 * rewardScale "unit").
 */
import { COUNTER_KEYS, type Counters } from "../roles/counters.js";
import { evaluate } from "../roles/evaluate.js";
import { normaliseStep } from "../roles/normalise-step.js";
import { type ProposeOutcome, propose } from "../roles/propose.js";
import type { RoleContext } from "../roles/role-context.js";
import type { SearchNode } from "../types.js";
import { GUIDED_SCORE_REGEX, type SearchParams } from "./params.js";
import { addChild } from "./tree.js";

export interface ExpansionContext {
  question: string;
  params: SearchParams;
  role: RoleContext;
  counters: Counters;
  /** The tree: children are appended (ids in creation order). */
  nodes: SearchNode[];
  /** A request seed for a stable label. */
  seed: (label: string) => number;
}

/** Expand `leaf` (whose path holds `steps`, guided by `leaf.reflection`); returns its scored children. */
export async function expandLeaf(
  x: ExpansionContext,
  leaf: SearchNode,
  steps: string[],
): Promise<SearchNode[]> {
  const { params, counters } = x;
  const thought = leaf.reflection ?? "";
  const ancestors = new Set(steps.map(normaliseStep));
  const siblingKeys = new Set<string>();
  const siblings: string[] = [];
  const created: SearchNode[] = [];
  const scoring: Promise<void>[] = [];
  try {
    for (let slot = 0; slot < params.branches; slot++) {
      const rejected: string[] = [];
      let accepted: ProposeOutcome | undefined;
      let problemKind: "empty" | "duplicate" = "empty";
      let attempt = 0;
      for (; attempt <= params.maxRegenerations; attempt++) {
        if (attempt > 0) counters.add(COUNTER_KEYS.stepRegenerated);
        const proposal = await propose(
          { question: x.question, steps, reflection: thought, siblings: [...siblings, ...rejected] },
          x.role,
          { maxTokens: params.stepMaxTokens, seed: x.seed(`propose:${leaf.id}:${slot}:${attempt}`) },
        );
        if (proposal.step === "") {
          problemKind = "empty";
          counters.add(COUNTER_KEYS.stepEmpty);
          continue;
        }
        const key = normaliseStep(proposal.step);
        if (ancestors.has(key) || siblingKeys.has(key)) {
          problemKind = "duplicate";
          counters.add(COUNTER_KEYS.stepDuplicate);
          if (!rejected.includes(proposal.step)) rejected.push(proposal.step);
          continue;
        }
        siblingKeys.add(key);
        accepted = proposal;
        break;
      }
      if (!accepted) {
        counters.add(
          problemKind === "duplicate" ? COUNTER_KEYS.stepDuplicateGaveUp : COUNTER_KEYS.stepEmptyGaveUp,
        );
        continue;
      }
      const child = addChild(x.nodes, leaf, accepted.step, accepted.raw);
      child.regenerated = attempt;
      siblings.push(accepted.step);
      created.push(child);
      const scored = evaluate({ question: x.question, steps, step: accepted.step }, x.role, {
        maxTokens: params.evalMaxTokens,
        retries: params.scoreRetries,
        fallbackScore: params.fallbackScore,
        guidedRegex: params.guided ? GUIDED_SCORE_REGEX : undefined,
        seedFor: (a) => x.seed(`evaluate:${child.id}:${a}`),
      }).then((score) => {
        child.score = score;
        const value = score.value ?? params.fallbackScore;
        child.value = params.rewardScale === "unit" ? value / 10 : value;
      });
      scored.catch(() => undefined); // awaited below; this only stops Node calling it unhandled meanwhile
      scoring.push(scored);
    }
  } catch (e) {
    // A failed proposal: let the scores in flight settle before the error leaves the search.
    await Promise.allSettled(scoring);
    throw e;
  }
  await Promise.all(scoring);
  return created;
}
