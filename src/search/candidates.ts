/**
 * What the strategies that write whole plans share (best-of-n, self-consistency, self-refine,
 * revision): drafting a plan with the CoT baseline's regenerations, writing and checking its code
 * inside the search, ranking by test results, and the tree of such plans (the root with one chain
 * per candidate plan). Pure: every call goes through the policy.
 */
import type { SearchNode, StopReason, Strategy } from "../types.js";
import { COUNTER_KEYS } from "./counters.js";
import type { SearchParams } from "./params.js";
import type { CodeChecks, Drafter, DraftResult, Implementer, TestVerdict } from "./policy.js";
import type { StrategyOutcome } from "./strategy.js";
import { STRATEGY_COUNTER_KEYS } from "./strategy-counters.js";
import { addChild, createRoot, pathTo } from "./tree.js";

/** One whole plan a strategy wrote, with what was learnt about it. */
export interface Candidate {
  steps: string[];
  /** The reply the plan came from (kept on its chain's first node). */
  raw: string;
  /** The reply was not cut off by the token limit. */
  complete: boolean;
  /** The steps' evaluate scores (null where not scored). */
  scores: (number | null)[];
  /** Its code: undefined when none was asked for, null when none could be written. */
  code?: string | null;
  tests?: TestVerdict;
  /** Outputs of the code on the problem's example inputs (self-consistency without tests). */
  outputs?: (string | null)[];
  /** The critic's or the tests' verdict on it, as shown to the next revision. */
  feedback?: string;
}

/** Every promise settled, then the first rejection thrown: no call is left running when a strategy fails. */
export async function settleAll<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/**
 * A whole plan in one generation, asked again (maxRegenerations times) while the reply has no step,
 * as the CoT baseline does. Seeds are labelled `${label}:${attempt}`.
 */
export async function draftSteps(
  policy: Drafter,
  question: string,
  options: {
    label: string;
    params: Pick<SearchParams, "maxRegenerations">;
    seed: (label: string) => number;
    signal?: AbortSignal;
  },
): Promise<{ draft: DraftResult | undefined; generations: number; events: string[] }> {
  const events: string[] = [];
  let draft: DraftResult | undefined;
  let generations = 0;
  for (
    let attempt = 0;
    attempt <= options.params.maxRegenerations && (draft?.steps.length ?? 0) === 0;
    attempt++
  ) {
    options.signal?.throwIfAborted();
    if (attempt > 0) events.push(COUNTER_KEYS.cotRetry);
    generations += 1;
    draft = await policy.draft(
      { question, seed: options.seed(`${options.label}:${attempt}`) },
      options.signal,
    );
    events.push(...draft.events);
  }
  if (draft?.strippedCode) events.push(COUNTER_KEYS.stepCodeStripped);
  if ((draft?.steps.length ?? 0) > 0 && !draft?.numbered) events.push(COUNTER_KEYS.cotUnnumbered);
  return { draft, generations, events };
}

/** A drafted plan as a candidate (no steps: an empty candidate, counted). */
export function draftCandidate(draft: DraftResult | undefined, events: string[]): Candidate {
  const steps = draft?.steps ?? [];
  if (steps.length === 0) events.push(STRATEGY_COUNTER_KEYS.candidateEmpty);
  return {
    steps,
    raw: draft?.raw ?? "",
    complete: draft?.complete ?? true,
    scores: steps.map(() => null),
  };
}

/**
 * Write a plan's code (the Implementer) and check it: against the problem's tests when it has a
 * verifier, else (with `examples`, for self-consistency, the one strategy that groups by outputs) on
 * its example inputs when it has a runner. Sets the candidate's code, tests and outputs; returns the
 * events.
 */
export async function implementAndCheck(
  policy: Implementer & CodeChecks,
  question: string,
  candidate: Candidate,
  options: { seed: number; signal?: AbortSignal; examples?: boolean },
): Promise<string[]> {
  const written = await policy.implement(
    { question, steps: candidate.steps, seed: options.seed },
    options.signal,
  );
  const events = [...written.events];
  candidate.code = written.code;
  if (written.code === null) {
    events.push(STRATEGY_COUNTER_KEYS.candidateNoCode);
    return events;
  }
  if (policy.verifier) {
    candidate.tests = await policy.verifier.verify({ code: written.code }, options.signal);
    if (candidate.tests.status === "pass") events.push(STRATEGY_COUNTER_KEYS.candidatePassed);
  } else if (options.examples && policy.runner) {
    candidate.outputs = (await policy.runner.run({ code: written.code }, options.signal)).outputs;
  }
  return events;
}

/** The share of tests passed, 0 without a verdict (no code, or not tested). */
function passRate(c: Candidate): number {
  if (!c.tests) return 0;
  if (c.tests.status === "pass") return 1;
  return c.tests.total > 0 ? c.tests.passed / c.tests.total : 0;
}

/**
 * The index of the candidate whose code does best on the tests: all passed first, then the largest
 * share passed; ties go to the earlier candidate (or, with `preferLater`, the later one: revision's
 * later attempts saw more feedback). Candidates without steps are never chosen while another has some.
 */
export function bestByTests(
  candidates: readonly Candidate[],
  options: { preferLater?: boolean } = {},
): number {
  let best = -1;
  for (const [i, c] of candidates.entries()) {
    if (c.steps.length === 0) continue;
    if (best < 0) {
      best = i;
      continue;
    }
    const a = passRate(c);
    const b = passRate(candidates[best] as Candidate);
    if (a > b || (a === b && options.preferLater)) best = i;
  }
  return Math.max(best, 0);
}

/** How a test result reads in a revision prompt. */
export function describeVerdict(v: TestVerdict): string {
  if (v.status === "pass") return `The code passed all ${v.total} tests.`;
  const head =
    v.status === "timeout"
      ? `The code timed out (passed ${v.passed} of ${v.total} tests).`
      : `The code failed: it passed ${v.passed} of ${v.total} tests.`;
  return v.failure ? `${head}\nFirst failure: ${v.failure}` : head;
}

/**
 * The tree of whole plans: the root (one visit), and under it one chain per candidate, its first node
 * holding the reply, its last node terminal when the plan is complete and, when it has feedback, the
 * feedback in `reflectionRaw`. Returns the nodes and each candidate's last node id (the root for an
 * empty candidate).
 */
export function candidateTree(candidates: readonly Candidate[]): { nodes: SearchNode[]; leaves: number[] } {
  const root = createRoot();
  root.visits = 1;
  const nodes: SearchNode[] = [root];
  const leaves = candidates.map((c) => {
    let parent = root;
    for (const [i, step] of c.steps.entries()) {
      parent = addChild(nodes, parent, step, i === 0 ? c.raw : "");
      const score = c.scores[i] ?? null;
      if (score !== null) {
        parent.score = { raw: null, value: score, parsedAs: null, attempts: 1 };
        parent.value = score;
      }
    }
    if (parent !== root) {
      parent.terminal = c.complete;
      if (c.feedback !== undefined) parent.reflectionRaw = c.feedback;
    }
    return parent.id;
  });
  return { nodes, leaves };
}

/**
 * The outcome of a strategy that chose `chosen` among whole plans: its chain is the best path, and
 * its code (when it has any) goes with the plan to the code stage.
 */
export function candidatesOutcome(o: {
  strategy: Strategy;
  candidates: readonly Candidate[];
  chosen: number;
  stopReason: StopReason;
  iterations: number;
  emptyMessage: string;
}): Omit<StrategyOutcome, "counters" | "seconds"> {
  const { nodes, leaves } = candidateTree(o.candidates);
  const pick = o.candidates[o.chosen];
  const bestPath = pathTo(nodes, leaves[o.chosen] ?? 0);
  return {
    strategy: o.strategy,
    nodes,
    bestPath,
    steps: pick?.steps ?? [],
    stopReason: o.stopReason,
    iterations: o.iterations,
    selections: [],
    reachedEnd: (pick?.steps.length ?? 0) > 0 && (pick?.complete ?? false),
    scores: pick?.scores ?? [],
    ...(typeof pick?.code === "string" ? { code: pick.code } : {}),
    ...(pick?.tests ? { tests: pick.tests } : {}),
    emptyMessage: o.emptyMessage,
  };
}

/**
 * `n` independent plans, written concurrently (best-of-n, self-consistency): plan i is drafted with
 * seeds labelled `${prefix}:${i}:...`, then, when it has steps, `more(candidate, label)` adds what
 * the strategy needs (scores, code) and returns its events. The candidates come back in index order,
 * whatever order they were answered in; every event is counted.
 */
export async function independentCandidates(
  policy: Drafter,
  question: string,
  o: {
    prefix: string;
    n: number;
    params: Pick<SearchParams, "maxRegenerations">;
    seed: (label: string) => number;
    signal?: AbortSignal;
    count: (events: readonly string[]) => void;
    more: (candidate: Candidate, label: string) => Promise<readonly string[]>;
  },
): Promise<{ candidates: Candidate[]; generations: number }> {
  const one = async (i: number) => {
    const label = `${o.prefix}:${i}`;
    const drafted = await draftSteps(policy, question, {
      label,
      params: o.params,
      seed: o.seed,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const candidate = draftCandidate(drafted.draft, drafted.events);
    if (candidate.steps.length > 0) drafted.events.push(...(await o.more(candidate, label)));
    return { candidate, events: drafted.events, generations: drafted.generations };
  };
  const results = await settleAll(Array.from({ length: o.n }, (_, i) => one(i)));
  for (const r of results) o.count(r.events);
  return {
    candidates: results.map((r) => r.candidate),
    generations: results.reduce((n, r) => n + r.generations, 0),
  };
}
