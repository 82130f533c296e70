/**
 * The search's parameters, with the paper's values where the paper gives one (section 3.1) and our
 * own, justified defaults where it does not. Every field has a range so a config file or a flag that
 * is out of range fails with `field: message` before any model call.
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { formatZodIssues } from "../util/zod-issues.js";

export const searchParamsSchema = z
  .object({
    /**
     * Iteration budget (one iteration = select, reflect, expand, evaluate, backpropagate; about
     * 1 + 2 * branches calls). The paper gives no number; its reference code stops after 2, which
     * yields plans of one or two steps. In a simulation (test/search-budget.test.ts: plans needing
     * 3-7 good steps, 70% of proposals good, a noisy evaluator) 24 iterations reach <end> on 87% of
     * problems and use 13.5 on average (16: 65%, 32: 96%).
     */
    iterations: z.number().int().min(1).default(24),
    /** Wall-clock budget per problem in seconds (checked between iterations), or null for none. */
    timeBudgetSec: z.number().positive().nullable().default(null),
    /** Children per expansion (paper: 3). */
    branches: z.number().int().min(1).max(10).default(3),
    /** UCB1 exploration constant (paper: 0.5). */
    c: z.number().min(0).default(0.5),
    /** Weight of a node's own reward against its children's in backpropagation (paper: 0.7). */
    alpha: z.number().min(0).max(1).default(0.7),
    /**
     * The reward scale UCB1 sees. "raw": the evaluator's 0-10 score, as in the paper's reference
     * code; with c = 0.5 the exploration bonus (about 0.4-1.1) is worth about one score point, so the
     * search mostly deepens the best line and reaches complete plans. "unit": score/10, UCB1's
     * textbook [0,1] scale; with the same c the bonus dwarfs score differences and the search goes
     * broad (in the simulation only 19% of problems reach <end> in 16 iterations, 41% in 40).
     */
    rewardScale: z.enum(["unit", "raw"]).default("raw"),
    /** Deepest plan: a leaf at this depth is not expanded (its reflection may still say <end>). */
    maxDepth: z.number().int().min(1).default(8),
    /** Sampling for every search call (paper's reference code: 0.7). Siblings differ through sampling. */
    temperature: z.number().min(0).max(2).default(0.7),
    topP: z.number().gt(0).max(1).default(0.95),
    /** Max tokens of one proposed step (a step is 1-3 sentences; the cap bounds a rambling model). */
    stepMaxTokens: z.number().int().min(1).default(256),
    /** Max tokens of a reflection (one short thought or <end>; reference code: 128). */
    reflectMaxTokens: z.number().int().min(1).default(128),
    /** Max tokens of an evaluation (a short justification, then `Score: N`). */
    evalMaxTokens: z.number().int().min(1).default(256),
    /** Max tokens of the CoT baseline's whole plan in one generation. */
    cotMaxTokens: z.number().int().min(1).default(1024),
    /** Extra proposals when a step is empty or repeats a sibling/ancestor; then the slot is dropped. */
    maxRegenerations: z.number().int().min(0).default(2),
    /** Extra evaluation calls when no score can be parsed from the reply. */
    scoreRetries: z.number().int().min(0).default(2),
    /** Score (0-10) given when every evaluation attempt failed to parse (reference code: 5, neutral). */
    fallbackScore: z.number().min(0).max(10).default(5),
    /**
     * Constrain evaluation replies to GUIDED_SCORE_REGEX: vLLM's guided decoding, a grammar on the
     * in-process engine (where it is the default); other servers ignore it.
     */
    guided: z.boolean().default(false),
  })
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
