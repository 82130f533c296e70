/**
 * Expansion (paper eq. 2-3) and evaluation (eq. 4) of one selected leaf, as a value: expandLeaf asks
 * the policy and returns the scored children without touching the tree; addChildren then puts them
 * under the leaf. Keeping the two apart lets several expansions be in flight at once and be applied
 * in a fixed order.
 *
 * `branches` children are written one after another; the i-th proposal is shown the reflection and
 * the i-1 siblings already accepted, so it proposes a different idea. A step that is empty after
 * cleaning, or that repeats a sibling or an ancestor (normaliseStep), is regenerated up to
 * maxRegenerations times (the rejected repeats are listed with the siblings so the retry is told to
 * avoid them); after that its slot is dropped and counted. Each accepted child is scored at once,
 * concurrently with writing the next sibling; all scores are awaited before returning, so
 * backpropagation sees every child. A child starts with one visit and r = its reward (nodeReward).
 */
import type { NodeScore, SearchNode } from "../types.js";
import { COUNTER_KEYS } from "./counters.js";
import { normaliseStep } from "./normalise-step.js";
import type { SearchParams } from "./params.js";
import type { Evaluator, PlanState, Proposer } from "./policy.js";
import { addChild } from "./tree.js";
import { nodeReward } from "./ucb1.js";

export interface ExpansionInput extends PlanState {
  /** The leaf being expanded (its id labels the proposals' request seeds). */
  leafId: number;
  /** The leaf's reflection, the proposer's hint ("" for none). */
  reflection: string;
  /**
   * The id the first accepted child gets (the tree's size): children are numbered as accepted, and
   * their evaluations' request seeds are labelled by those ids. null when other expansions are in
   * flight (--parallel-iterations), so ids are only known once results are applied: evaluations are
   * then labelled by leaf and slot, which is as unique (a leaf is expanded once).
   */
  firstChildId: number | null;
}

/** A child as the policy wrote and scored it. */
export interface ProposedChild {
  step: string;
  /** The proposer's reply before cleaning. */
  raw: string;
  /** How many times the step was regenerated before it was accepted. */
  regenerated: number;
  score: NodeScore;
}

export interface Expansion {
  children: ProposedChild[];
  /** Counter events of the expansion and of every call in it. */
  events: string[];
}

type ExpansionParams = Pick<SearchParams, "branches" | "maxRegenerations">;

/** Propose and score the children of one leaf (whose path holds `input.steps`). */
export async function expandLeaf(
  policy: Proposer & Evaluator,
  input: ExpansionInput,
  options: { params: ExpansionParams; seed: (label: string) => number; signal?: AbortSignal },
): Promise<Expansion> {
  const { params, seed, signal } = options;
  const { question, steps } = input;
  const events: string[] = [];
  const ancestors = new Set(steps.map(normaliseStep));
  const siblingKeys = new Set<string>();
  const siblings: string[] = [];
  const children: ProposedChild[] = [];
  const scoring: Promise<void>[] = [];
  try {
    for (let slot = 0; slot < params.branches; slot++) {
      const rejected: string[] = [];
      let accepted: { step: string; raw: string } | undefined;
      let problemKind: "empty" | "duplicate" = "empty";
      let attempt = 0;
      for (; attempt <= params.maxRegenerations; attempt++) {
        if (attempt > 0) events.push(COUNTER_KEYS.stepRegenerated);
        const proposal = await policy.propose(
          {
            question,
            steps,
            reflection: input.reflection,
            siblings: [...siblings, ...rejected],
            seed: seed(`propose:${input.leafId}:${slot}:${attempt}`),
          },
          signal,
        );
        events.push(...proposal.events);
        if (proposal.step === "") {
          problemKind = "empty";
          events.push(COUNTER_KEYS.stepEmpty);
          continue;
        }
        const key = normaliseStep(proposal.step);
        if (ancestors.has(key) || siblingKeys.has(key)) {
          problemKind = "duplicate";
          events.push(COUNTER_KEYS.stepDuplicate);
          if (!rejected.includes(proposal.step)) rejected.push(proposal.step);
          continue;
        }
        siblingKeys.add(key);
        accepted = proposal;
        break;
      }
      if (!accepted) {
        events.push(
          problemKind === "duplicate" ? COUNTER_KEYS.stepDuplicateGaveUp : COUNTER_KEYS.stepEmptyGaveUp,
        );
        continue;
      }
      const label =
        input.firstChildId === null
          ? `${input.leafId}/${slot}`
          : String(input.firstChildId + children.length);
      const child: ProposedChild = {
        step: accepted.step,
        raw: accepted.raw,
        regenerated: attempt,
        score: { raw: null, value: null, parsedAs: null, attempts: 0 },
      };
      siblings.push(accepted.step);
      children.push(child);
      const scored = policy
        .evaluate(
          { question, steps, step: accepted.step, seed: (a) => seed(`evaluate:${label}:${a}`) },
          signal,
        )
        .then((result) => {
          child.score = result.score;
          events.push(...result.events);
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
  return { children, events };
}

/** Put an expansion's children under `leaf` (ids in order), each with one visit and its reward. */
export function addChildren(
  nodes: SearchNode[],
  leaf: SearchNode,
  expansion: Expansion,
  params: Pick<SearchParams, "rewardScale" | "fallbackScore">,
): SearchNode[] {
  return expansion.children.map((c) => {
    const node = addChild(nodes, leaf, c.step, c.raw);
    node.regenerated = c.regenerated;
    node.score = c.score;
    node.value = nodeReward(c.score.value, params);
    return node;
  });
}
