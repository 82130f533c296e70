/**
 * The search's parameters, with the paper's values where the paper gives one (section 3.1) and our
 * own, justified defaults where it does not. Every field has a range so a config file or a flag that
 * is out of range fails with `field: message` before any model call.
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { readDefaults } from "../util/config-defaults.js";
import { shapeWithDefaults } from "../util/option-table.js";
import { formatZodIssues } from "../util/zod-issues.js";

/**
 * What each parameter is and its range. The defaults, with where each comes from (the paper, the
 * reference code, our simulation), are in configs/defaults.yaml, section `search`: one place.
 */
const SEARCH_PARAM_SHAPE = {
  /** Iteration budget (one iteration = select, reflect, expand, evaluate, backpropagate). */
  iterations: z.number().int().min(1),
  /**
   * Iterations of one problem in flight at once (tree-parallel MCTS with virtual loss, Chaslot et
   * al. 2008). 1 is the paper's search. K > 1 is a different search: up to K leaves are selected
   * before the results of the others are known, each selection steering the next away from the paths
   * in flight (virtualLoss); results are applied in the order the leaves were selected, so the tree
   * does not depend on timing (src/search/mcts.ts).
   */
  parallelIterations: z.number().int().min(1).max(32),
  /**
   * With parallelIterations > 1: each iteration in flight counts as this many extra visits with
   * reward 0 on every node of its path, until its result is applied.
   */
  virtualLoss: z.number().min(0).max(100),
  /** With parallelIterations > 1: the first this-many iterations run one at a time. */
  parallelAfter: z.number().int().min(0),
  /** Wall-clock budget per problem in seconds (checked between iterations), or null for none. */
  timeBudgetSec: z.number().positive().nullable(),
  /** Children per expansion. */
  branches: z.number().int().min(1).max(10),
  /** UCB1 exploration constant. */
  c: z.number().min(0),
  /** Weight of a node's own reward against its children's in backpropagation. */
  alpha: z.number().min(0).max(1),
  /** The reward scale UCB1 sees: the evaluator's 0-10 ("raw") or score/10 ("unit"). */
  rewardScale: z.enum(["unit", "raw"]),
  /** Deepest plan: a leaf at this depth is not expanded (its reflection may still say <end>). */
  maxDepth: z.number().int().min(1),
  /** Sampling for every search call. */
  temperature: z.number().min(0).max(2),
  topP: z.number().gt(0).max(1),
  /** Max tokens of one proposed step. */
  stepMaxTokens: z.number().int().min(1),
  /** Max tokens of a reflection. */
  reflectMaxTokens: z.number().int().min(1),
  /** Max tokens of an evaluation. */
  evalMaxTokens: z.number().int().min(1),
  /** Max tokens of the CoT baseline's whole plan in one generation. */
  cotMaxTokens: z.number().int().min(1),
  /** Extra proposals when a step is empty or repeats a sibling/ancestor; then the slot is dropped. */
  maxRegenerations: z.number().int().min(0),
  /** Extra evaluation calls when no score can be parsed from the reply. */
  scoreRetries: z.number().int().min(0),
  /** Score (0-10) given when every evaluation attempt failed to parse. */
  fallbackScore: z.number().min(0).max(10),
  /** Constrain evaluation replies to GUIDED_SCORE_REGEX (vLLM guided decoding; a grammar in process). */
  guided: z.boolean(),
};

export const searchParamsSchema = z
  .object(shapeWithDefaults(SEARCH_PARAM_SHAPE, readDefaults("search")))
  .strict();

export type SearchParams = z.infer<typeof searchParamsSchema>;

/** The defaults above, as a value (documented field by field in the schema). */
export const DEFAULT_SEARCH_PARAMS: SearchParams = searchParamsSchema.parse({});

/**
 * The regex sent as `guidedRegex` when `guided` is on: the labelled integer score 0-10. The label
 * comes first because the evaluate prompt teaches the model to end on `Score: N`: forced to start
 * there, it writes the number where it learnt to, rather than a bare digit out of nowhere.
 */
export const GUIDED_SCORE_REGEX = "Score: (10|[0-9])";

/**
 * Built once: every search calls parseSearchParams, and zod compiles a schema on its first parse
 * (a fresh `.strip()` per problem cost about 1 ms of CPU each).
 */
const LENIENT_SCHEMA = searchParamsSchema.strip();

/**
 * Validate (and complete with defaults) search parameters. Strict by default (a misspelt key in a
 * config file is an error); `{ strict: false }` drops unknown keys, for values built in code.
 */
export function parseSearchParams(
  input: unknown,
  file?: string,
  options: { strict?: boolean } = {},
): SearchParams {
  const schema = options.strict === false ? LENIENT_SCHEMA : searchParamsSchema;
  const r = schema.safeParse(input);
  if (!r.success) throw new ConfigError(formatZodIssues(r.error), file);
  return r.data;
}
