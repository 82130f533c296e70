/**
 * Counts of notable events in one problem's search (score parse forms, regenerations, stripped
 * code, truncated replies). Written to trees.jsonl and plans.jsonl so `sra stats` can show how messy
 * a model's answers were. The keys are listed in COUNTER_KEYS.
 */

export const COUNTER_KEYS = {
  /** An evaluation parsed in this form (one per scored node). */
  scoreGuided: "score.guided",
  scoreLabelled: "score.labelled",
  scoreFraction: "score.fraction",
  scoreBare: "score.bare",
  /** Every attempt failed to parse: the node got fallbackScore. */
  scoreFallback: "score.fallback",
  /** An extra evaluation call because the reply had no usable score. */
  scoreRetry: "score.retry",
  /** An extra proposal because the step was empty or repeated a sibling/ancestor. */
  stepRegenerated: "step.regenerated",
  /** A proposal that repeated a sibling or an ancestor (after normaliseStep). */
  stepDuplicate: "step.duplicate",
  /** A proposal with no text left after cleaning (e.g. only code). */
  stepEmpty: "step.empty",
  /** A child slot dropped: still a repeat after maxRegenerations. */
  stepDuplicateGaveUp: "step.duplicateGaveUp",
  /** A child slot dropped: still empty after maxRegenerations. */
  stepEmptyGaveUp: "step.emptyGaveUp",
  /** Code removed from a proposed step. */
  stepCodeStripped: "step.codeStripped",
  /** A proposal held several steps; only the first was kept. */
  stepExtraCut: "step.extraStepsCut",
  /** A reflection said <end> (and was accepted). */
  reflectEnd: "reflect.end",
  /** The root's reflection said <end> with no steps yet: ignored (a plan needs a step). */
  reflectEndAtRoot: "reflect.endAtRoot",
  /** A reflection with no usable thought (the proposer gets no hint). */
  reflectEmpty: "reflect.empty",
  /** A selected leaf at maxDepth whose reflection was not <end>: closed. */
  deadEndMaxDepth: "deadEnd.maxDepth",
  /** A selected leaf whose expansion produced no new step: closed. */
  deadEndNoNewSteps: "deadEnd.noNewSteps",
  /**
   * --parallel-iterations: an iteration in flight when an earlier one ended the search (<end>):
   * aborted and left out of the tree (the calls it had made are in the usage).
   */
  parallelDiscarded: "parallel.discarded",
  /** A reply cut off by max tokens (finish reason "length"), any role. */
  lengthTruncated: "length.truncated",
  /** CoT: the plan had no "Step n"/numbered lines and was split by bullets or paragraphs. */
  cotUnnumbered: "cot.unnumbered",
  /** CoT: a reply with no steps, asked again. */
  cotRetry: "cot.retry",
} as const;

export class Counters {
  private readonly counts = new Map<string, number>();

  add(key: string, n = 1): void {
    if (n === 0) return;
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** A plain record with sorted keys (stable JSON). */
  toRecord(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
