/**
 * The records that pass between stages. Each crosses a file boundary, so each has a zod schema:
 * a stage reads exactly what the one before wrote, and a hand-edited file fails with `path: message`.
 */
import { z } from "zod";

/**
 * Tests a problem may carry, checked against its sample's code by generate: `assert` statements (with
 * setup code run first), or APPS-style cases (stdin/stdout pairs, or calls of `fnName`) as raw JSON.
 */
export type ProblemTests =
  | { kind: "asserts"; tests: string[]; setup: string }
  | { kind: "io"; inputs: string; outputs: string; count: number; fnName: string | undefined };

/** A problem as read from the user's file. `record` is the input object, untouched, for lossless output. */
export interface Problem {
  id: string;
  question: string;
  /** 1-based line number (JSONL) or array index + 1 (JSON array) in the source file. */
  line: number;
  record: Record<string, unknown>;
  /**
   * The record as it appeared in the input, for byte-for-byte output: the JSONL line without its line
   * ending (and without a BOM on line 1), or `JSON.stringify` of a JSON array element.
   */
  text?: string;
  /** Its tests (`tests` / `test_list` with `setup`, or `input_output`), when read for generate. */
  tests?: ProblemTests;
}

/** How a score was read from the evaluator's reply (small models answer messily; we record which form matched). */
export const scoreFormSchema = z.enum([
  "guided", // guided decoding: the reply is exactly a number
  "labelled", // "Score: 7", "**Score:** 7", "score = 7"
  "fraction", // "7/10", "7 out of 10"
  "bare", // a lone number
  "fallback", // nothing parsed after retries: the documented fallback value
]);
export type ScoreForm = z.infer<typeof scoreFormSchema>;

export const nodeScoreSchema = z.object({
  /** The evaluator's reply text (last attempt), or null for the root. */
  raw: z.string().nullable(),
  /** The parsed score on the 0-10 scale, or null for the root. */
  value: z.number().nullable(),
  parsedAs: scoreFormSchema.nullable(),
  attempts: z.number().int().nonnegative(),
});
export type NodeScore = z.infer<typeof nodeScoreSchema>;

/** One node of a search tree, as written to trees.jsonl. */
export const searchNodeSchema = z.object({
  id: z.number().int().nonnegative(),
  parentId: z.number().int().nonnegative().nullable(),
  depth: z.number().int().nonnegative(),
  /** The plan step this node adds (empty for the root). */
  step: z.string(),
  /** The reflection written before this node was expanded: a short thought, or "<end>". */
  reflection: z.string().nullable(),
  score: nodeScoreSchema,
  visits: z.number().int().nonnegative(),
  /** r_i: the reward used by UCB1, after backpropagation (scale depends on rewardScale). */
  value: z.number(),
  terminal: z.boolean(),
  /** How many times this step was regenerated because it repeated a sibling or an ancestor. */
  regenerated: z.number().int().nonnegative(),
  children: z.array(z.number().int().nonnegative()),
  /** The proposer's reply before cleanStep (code, "Step n:" prefixes and chatter removed), or null for the root. */
  proposalRaw: z.string().nullable().optional(),
  /** The reflection call's reply before parsing (see `reflection` for the parsed thought or "<end>"). */
  reflectionRaw: z.string().nullable().optional(),
  /**
   * Why a selected leaf could not be expanded: it was at maxDepth and its reflection was not <end>
   * ("max-depth"), or every proposed step was empty or a repeat after the regenerations ("no-new-steps").
   * With --verify-end, a terminal plan whose code failed the problem's tests ("failed-tests": reward 0).
   * Selection skips such leaves (and subtrees whose leaves are all closed).
   */
  deadEnd: z.enum(["max-depth", "no-new-steps", "failed-tests"]).optional(),
});
export type SearchNode = z.infer<typeof searchNodeSchema>;

export const stopReasonSchema = z.enum([
  "end", // a selected leaf's reflection was <end>
  "iterations", // the iteration budget was spent
  "time", // the time budget was spent
  "exhausted", // no expandable leaf was left
  "single-pass", // the CoT baseline: no search
  "selected", // best-of-n, self-consistency: one of N independent plans was chosen
  "approved", // self-refine, revision: the critic approved the plan
  "passed", // revision: the attempt's code passed the problem's tests
  "rounds", // self-refine, revision: the rounds or attempts were spent
]);
export type StopReason = z.infer<typeof stopReasonSchema>;

/**
 * Stop reasons of plans written whole in one reply (CoT, and the strategies that choose among or
 * revise such plans): they have no <end> to reach; their reachedEnd says the reply was not cut off.
 */
const WHOLE_PLAN_STOPS: ReadonlySet<StopReason> = new Set([
  "single-pass",
  "selected",
  "approved",
  "passed",
  "rounds",
]);

export function isWholePlan(stopReason: StopReason): boolean {
  return WHOLE_PLAN_STOPS.has(stopReason);
}

/** Strategies whose plans are written whole (isWholePlan's stop reasons), not step by step. */
export function writesWholePlans(strategy: string): boolean {
  return strategy !== "mcts" && strategy !== "beam";
}

/** Token and call accounting, summed per problem and per stage. */
export const usageSchema = z.object({
  calls: z.number().int().nonnegative(),
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  /** Calls by role (propose, reflect, evaluate, implement, cot). */
  byRole: z.record(z.string(), z.number().int().nonnegative()).default({}),
  /** Tokens by role, to see where a budget goes (evaluation vs proposals). */
  tokensByRole: z
    .record(
      z.string(),
      z.object({
        promptTokens: z.number().int().nonnegative(),
        completionTokens: z.number().int().nonnegative(),
      }),
    )
    .optional(),
});
export type Usage = z.infer<typeof usageSchema>;

export const treeRecordSchema = z.object({
  id: z.string(),
  nodes: z.array(searchNodeSchema),
  /** Node ids from the root to the chosen node. */
  bestPath: z.array(z.number().int().nonnegative()),
  stopReason: stopReasonSchema,
  iterations: z.number().int().nonnegative(),
  /** Counts of notable events: score parse forms, regenerations, stripped code. */
  counters: z.record(z.string(), z.number()).default({}),
  /** The leaf selected in each iteration, in order (node ids). */
  selections: z.array(z.number().int().nonnegative()).optional(),
});
export type TreeRecord = z.infer<typeof treeRecordSchema>;

/** The plan strategies (`--strategy`; src/search/strategies.ts runs them). */
export const strategySchema = z.enum([
  "mcts",
  "cot",
  "beam",
  "best-of-n",
  "self-consistency",
  "self-refine",
  "revision",
]);

/** How the code stage writes code: one function (plain), or MoTCoder's sub-functions then the composing one. */
export const codeStyleSchema = z.enum(["plain", "modular"]);
export type CodeStyle = z.infer<typeof codeStyleSchema>;

/**
 * How a plan's or sample's code did on its problem's tests: the verdict of the search's Verifier
 * (best-of-n, revision, --verify-end) and of generate's code checks, one shape.
 */
export const sampleTestsSchema = z.object({
  status: z.enum(["pass", "fail", "timeout"]),
  passed: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** The first failing test or input and why, in a line. */
  failure: z.string().optional(),
});
export type SampleTests = z.infer<typeof sampleTestsSchema>;
export type Strategy = z.infer<typeof strategySchema>;

export const planRecordSchema = z.object({
  id: z.string(),
  question: z.string(),
  steps: z.array(z.string()),
  reachedEnd: z.boolean(),
  stopReason: stopReasonSchema,
  /** Scores (0-10) of the steps on the chosen path. */
  scores: z.array(z.number().nullable()),
  strategy: strategySchema,
  usage: usageSchema,
  seconds: z.number().nonnegative(),
  counters: z.record(z.string(), z.number()).default({}),
  /**
   * The code written with the plan inside the search (best-of-n and self-consistency with code,
   * revision, --verify-end), which the code stage then takes as it is, and how it did on the tests.
   */
  code: z.string().optional(),
  tests: sampleTestsSchema.optional(),
});
export type PlanRecord = z.infer<typeof planRecordSchema>;

export const sampleMetaSchema = z.object({
  model: z.string(),
  strategy: strategySchema,
  scores: z.array(z.number().nullable()),
  calls: z.number().int().nonnegative(),
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  stopReason: stopReasonSchema,
  reachedEnd: z.boolean(),
  /** How the code was found in the reply: fenced, unterminated fence, bare; "search": written in the search. */
  codeFrom: z.string().optional(),
  /** The code style the code stage asked for (absent in runs from before --code-style: plain). */
  codeStyle: codeStyleSchema.optional(),
  /** The code compiled in the executor (absent: code checks were off). */
  compiles: z.boolean().optional(),
  /**
   * How the code did on its problem's tests: run by generate's code checks, or already in the search
   * (best-of-n, revision, --verify-end). Absent: no tests, or checks were off.
   */
  tests: sampleTestsSchema.optional(),
  counters: z.record(z.string(), z.number()).default({}),
});
export type SampleMeta = z.infer<typeof sampleMetaSchema>;

export const sampleSchema = z.object({
  id: z.string(),
  question: z.string(),
  /** The plan as `Step 1: ...` lines joined by newlines. */
  plan: z.string(),
  steps: z.array(z.string()),
  code: z.string(),
  meta: sampleMetaSchema,
});
export type Sample = z.infer<typeof sampleSchema>;

/** The stage a problem failed at: its search (plans) or its code. */
export const stageSchema = z.enum(["plans", "code"]);
export type Stage = z.infer<typeof stageSchema>;

export const failureSchema = z.object({
  id: z.string(),
  stage: stageSchema,
  /** A short machine-readable kind: llm, parse, no-code, timeout, internal. */
  kind: z.string(),
  error: z.string(),
  attempts: z.number().int().nonnegative().optional(),
  /** What to do about it (e.g. "raise --max-tokens"), when something can be said. */
  hint: z.string().optional(),
});
export type Failure = z.infer<typeof failureSchema>;

/** Render steps as the plan text used in samples and exports. */
export function formatPlan(steps: readonly string[]): string {
  return steps.map((s, i) => `Step ${i + 1}: ${s}`).join("\n");
}
