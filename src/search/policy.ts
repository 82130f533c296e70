/**
 * What a search asks of a model, as one interface per role. The search algorithms (SRA-MCTS, the CoT
 * baseline, and later beam search, best-of-N, self-refine, ...) are written against these and nothing
 * else: src/roles/llm-policy.ts supplies the LLM-backed policy, and a test can supply a plain object.
 *
 * Every call is a value in, a value out: it takes the state it needs (the question, the steps so far,
 * a seed) and returns its result together with the counter events it caused (`events`, keys of
 * COUNTER_KEYS). Nothing is shared between calls, so the search may run them concurrently (a sibling's
 * score while the next sibling is written) or several iterations at once, and the result depends only
 * on the inputs. An algorithm takes only the roles it uses (`MctsPolicy`, `CotPolicy`), so a new role
 * (critique, revise) is a new interface here and never touches an algorithm that does not use it.
 */
import type { NodeScore } from "../types.js";

/** A partial plan: the problem and the steps chosen so far. */
export interface PlanState {
  question: string;
  steps: readonly string[];
}

/** Counter events of one call (e.g. "score.retry", "length.truncated"); repeated keys count twice. */
export type PolicyEvents = readonly string[];

export interface ReflectResult {
  /** The steps so far solve the problem (`<end>`, paper eq. 5). */
  end: boolean;
  /** A short thought guiding the next step ("" when the reply had none, or on `<end>`). */
  thought: string;
  /** The reply as the model wrote it. */
  raw: string;
  events: PolicyEvents;
}

export interface ProposeResult {
  /** One next step, cleaned ("" when nothing usable was left). */
  step: string;
  raw: string;
  events: PolicyEvents;
}

export interface EvaluateResult {
  /** The 0-10 score of the newest step and how it was read (a fallback value when nothing parsed). */
  score: NodeScore;
  events: PolicyEvents;
}

export interface DraftResult {
  /** The whole plan of one generation, split into steps (empty when none could be read). */
  steps: string[];
  /** The reply used "Step n" / numbered lines (rather than bullets or paragraphs). */
  numbered: boolean;
  /** Code was removed from the steps. */
  strippedCode: boolean;
  /** The reply was not cut off by the token limit. */
  complete: boolean;
  raw: string;
  events: PolicyEvents;
}

/** Reflection (paper eq. 5): a thought for the next step, or `<end>`. */
export interface Reflector {
  reflect(input: PlanState & { seed: number }, signal?: AbortSignal): Promise<ReflectResult>;
}

/** Expansion's proposer (paper eq. 3): one next step, different from the siblings listed. */
export interface Proposer {
  propose(
    input: PlanState & { reflection: string; siblings: readonly string[]; seed: number },
    signal?: AbortSignal,
  ): Promise<ProposeResult>;
}

/** Evaluation (paper eq. 4): a 0-10 score of `step` after `steps`. `seed(attempt)` for each try. */
export interface Evaluator {
  evaluate(
    input: PlanState & { step: string; seed: (attempt: number) => number },
    signal?: AbortSignal,
  ): Promise<EvaluateResult>;
}

/** A whole step-by-step plan in one generation (the CoT baseline, paper section 4.4). */
export interface Drafter {
  draft(input: { question: string; seed: number }, signal?: AbortSignal): Promise<DraftResult>;
}

/** The roles SRA-MCTS uses. */
export type MctsPolicy = Reflector & Proposer & Evaluator;

/** The role the CoT baseline uses. */
export type CotPolicy = Drafter;

/** Every role a plan strategy of today may use (what src/roles/llm-policy.ts provides). */
export type PlanPolicy = MctsPolicy & CotPolicy;
