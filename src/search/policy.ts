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
 *
 * Code checks are roles too (Verifier, ExampleRunner): the search stays pure and the executor stays
 * an edge that the caller binds to one problem's tests or examples.
 */
import type { NodeScore, SampleTests } from "../types.js";

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

export interface CritiqueResult {
  /** The critic found nothing to fix (`<approved>`, prompts/critique.md). */
  approved: boolean;
  /** What to fix, as the critic wrote it ("" when approved). */
  critique: string;
  raw: string;
  events: PolicyEvents;
}

/** A whole plan, and its code when one was written: what a critic or a reviser is shown. */
export interface Attempt {
  question: string;
  steps: readonly string[];
  /** The attempt's code, or null when the plan has not been implemented. */
  code: string | null;
}

/** Self-refine's and revision's critic: is the plan (and its code) right, and if not, what is wrong. */
export interface Critic {
  critique(input: Attempt & { seed: number }, signal?: AbortSignal): Promise<CritiqueResult>;
}

/**
 * A new whole plan written from an earlier attempt and what was wrong with it (a critique, or a test
 * result): self-refine's refine step and revision's next attempt.
 */
export interface Reviser {
  revise(input: Attempt & { feedback: string; seed: number }, signal?: AbortSignal): Promise<DraftResult>;
}

export interface ImplementResult {
  /** The code (null when no reply held usable code after the code stage's retries). */
  code: string | null;
  /** How many replies were asked for. */
  attempts: number;
  events: PolicyEvents;
}

/** The code stage inside a search (plan -> code), for the strategies that test or run code. */
export interface Implementer {
  implement(input: PlanState & { seed: number }, signal?: AbortSignal): Promise<ImplementResult>;
}

/** How code did on the problem's tests: one shape with a sample's `meta.tests` (src/types.ts). */
export type TestVerdict = SampleTests;

/**
 * The problem's own tests run against code (code -> verdict): an edge adapter over the executor,
 * bound to one problem, present only when that problem carries tests.
 */
export interface Verifier {
  verify(input: { code: string }, signal?: AbortSignal): Promise<TestVerdict>;
}

/**
 * The problem's example inputs run through code, for self-consistency when there are no tests: one
 * output per example (stdout, or the call's repr), null where the code failed or timed out. Present
 * only when examples could be taken from the problem (the edge decides how).
 */
export interface ExampleRunner {
  run(input: { code: string }, signal?: AbortSignal): Promise<{ outputs: (string | null)[] }>;
}

/** What a problem offers to check code with; both absent when it has neither tests nor examples. */
export interface CodeChecks {
  readonly verifier?: Verifier;
  readonly runner?: ExampleRunner;
}

/** The roles SRA-MCTS uses (with `verifier`, --verify-end tests terminal plans through `implement`). */
export type MctsPolicy = Reflector & Proposer & Evaluator & Partial<Implementer> & CodeChecks;

/** The role the CoT baseline uses. */
export type CotPolicy = Drafter;

/** Every role a plan strategy may use (what src/roles/llm-policy.ts provides). */
export type PlanPolicy = Reflector &
  Proposer &
  Evaluator &
  Drafter &
  Critic &
  Reviser &
  Implementer &
  CodeChecks;
