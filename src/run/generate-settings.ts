/**
 * Every setting of `sra generate`, one row each: where it lives in config.json, its schema and
 * default, its flag and its help (src/util/option-table.ts). The run config's schema and types
 * (src/run/config.ts), the defaults, the flag-to-path map and the command line's options and help
 * (src/cli/generate.ts) are all made from this table. Adding a setting is adding a row.
 *
 * Defaults live in configs/defaults.yaml: this table's in its `generate` section, the search
 * parameters' in `search` (searchParamsSchema), and those of the rows every model-calling command
 * shares (src/llm/llm-settings.ts) in `server`, `llamaCpp` and `inProcess`.
 * The code stage's temperature and top-p have none: they always come from the model preset.
 *
 * Loaded by the command line to build --help: keep it free of I/O and of heavy imports.
 */
import { z } from "zod";
import { EXECUTE_SETTINGS } from "../execute/settings.js";
import {
  DEFAULT_IN_PROCESS_MODEL,
  ENGINE_SETTING,
  IN_PROCESS_DEFAULTS,
  LLAMA_CPP_SETTINGS,
  PLACEHOLDER_API_KEY,
  SERVER_SETTINGS,
} from "../llm/llm-settings.js";
import { searchParamsSchema } from "../search/params.js";
import { codeStyleSchema, strategySchema } from "../types.js";
import { readDefaults } from "../util/config-defaults.js";
import { option, tableWithDefaults } from "../util/option-table.js";
import { maxFailuresSchema, parseMaxFailuresSetting } from "./failure-budget.js";
import { parseShard } from "./shard.js";

export { PLACEHOLDER_API_KEY };

export const stageChoiceSchema = z.enum(["plans", "code", "all"]);
export type StageChoice = z.infer<typeof stageChoiceSchema>;

export const shardSchema = z
  .object({ index: z.number().int().min(1), count: z.number().int().min(1) })
  .strict()
  .refine((s) => s.index <= s.count, { message: "the shard number must be from 1 to the shard count" });

/**
 * `model` in a settings layer: the --model value, or the object of a previous run's config.json
 * (whose bookkeeping fields are accepted and ignored, so `--config runs/a/config.json` reproduces run a).
 */
const modelSettingSchema = z.union([
  z.string().min(1),
  z
    .object({
      name: z.string().min(1),
      servedModel: z.string().min(1).optional(),
      systemRole: z.boolean().optional(),
      template: z.string().min(1).optional(),
      known: z.boolean().optional(),
      /** Which GGUF file the run's in-process engine loaded: bookkeeping, set from --gguf or the preset. */
      gguf: z.unknown().optional(),
    })
    .strict(),
]);

const s = searchParamsSchema.shape;

/** The rows; their defaults come from configs/defaults.yaml (GENERATE_SETTINGS). */
const GENERATE_ROWS = {
  model: option({
    schema: modelSettingSchema,
    flag: "--model <name>",
    help: "model preset (see `sra models`) or a served model name",
    showDefault: `required with a server; in process ${DEFAULT_IN_PROCESS_MODEL}, or the --gguf file's name`,
  }),
  /** Which engine runs the model; resolved by chooseEngine when no layer sets it. */
  engine: ENGINE_SETTING,
  servedModel: option({
    schema: z.string().min(1),
    flag: "--served-model <name>",
    help: "model name the server serves",
    showDefault: "the preset's servedModel",
  }),
  strategy: option({
    schema: strategySchema,
    flag: "--strategy <s>",
    help: "mcts (SRA-MCTS), cot (one-pass baseline), beam, best-of-n, self-consistency, self-refine or revision",
  }),
  stage: option({
    schema: stageChoiceSchema,
    flag: "--stage <stage>",
    help: "plans: search only; code: plans.jsonl -> code; all: both",
  }),
  seed: option({
    schema: z.number().int().min(0).max(0xffffffff),
    flag: "--seed <n>",
    help: "seed of the search's random choices",
  }),
  promptsDir: option({
    schema: z.string().min(1).nullable(),
    flag: "--prompts-dir <dir>",
    help: "directory with propose/reflect/evaluate/implement/cot.md",
    showDefault: (dir) => dir ?? "built-in prompts/",
  }),
  /** The search's parameters: schema, default and why in src/search/params.ts. */
  search: {
    iterations: option({
      schema: s.iterations,
      flag: "--iterations <n>",
      help: "MCTS iterations per problem",
    }),
    parallelIterations: option({
      schema: s.parallelIterations,
      flag: "--parallel-iterations <k>",
      help: "MCTS iterations of one problem in flight at once, spread by virtual loss (a different search; see the README)",
      showDefault: (k) => (k === 1 ? "1, the paper's one at a time" : String(k)),
    }),
    virtualLoss: option({ schema: s.virtualLoss }),
    parallelAfter: option({
      schema: s.parallelAfter,
      flag: "--parallel-after <n>",
      help: "with --parallel-iterations > 1: iterations run one at a time first (0: parallel from the start)",
    }),
    timeBudgetSec: option({
      schema: s.timeBudgetSec,
      flag: "--time-budget <sec>",
      help: "search time budget per problem in seconds",
    }),
    branches: option({
      schema: s.branches,
      flag: "--branches <n>",
      help: "children per expansion",
      showDefault: (n) => `${n}, the paper's`,
    }),
    c: option({
      schema: s.c,
      flag: "--c <c>",
      help: "UCB1 exploration constant",
      showDefault: (c) => `${c}, the paper's`,
    }),
    alpha: option({
      schema: s.alpha,
      flag: "--alpha <a>",
      help: "backpropagation weight of a node's own reward",
      showDefault: (a) => `${a}, the paper's`,
    }),
    rewardScale: option({
      schema: s.rewardScale,
      flag: "--reward-scale <scale>",
      help: "rewards as score/10 (unit) or 0-10 (raw)",
    }),
    maxDepth: option({ schema: s.maxDepth, flag: "--max-depth <n>", help: "deepest plan step" }),
    temperature: option({
      schema: s.temperature,
      flag: "--temperature <t>",
      help: "sampling temperature of search and code",
      // The presets' sampling overrides the search default; configs/models.json's is 0.7 throughout
      // (test/generate-config.test.ts checks it).
      showDefault: "the preset's, 0.7 for the built-in ones",
      alsoSets: ["code.temperature"],
    }),
    topP: option({ schema: s.topP }),
    stepMaxTokens: option({ schema: s.stepMaxTokens }),
    reflectMaxTokens: option({ schema: s.reflectMaxTokens }),
    evalMaxTokens: option({ schema: s.evalMaxTokens }),
    cotMaxTokens: option({ schema: s.cotMaxTokens }),
    maxRegenerations: option({ schema: s.maxRegenerations }),
    scoreRetries: option({ schema: s.scoreRetries }),
    fallbackScore: option({ schema: s.fallbackScore }),
    beamWidth: option({
      schema: s.beamWidth,
      flag: "--beam-width <n>",
      help: "beam: partial plans kept after each depth",
    }),
    beamExpansions: option({
      schema: s.beamExpansions,
      flag: "--beam-expansions <n>",
      help: "beam: next steps proposed per beam and depth",
      showDefault: (n) => `${n}, the paper's branches`,
    }),
    samples: option({
      schema: s.samples,
      flag: "--samples <n>",
      help: "best-of-n, self-consistency: independent plans per problem",
    }),
    planScore: option({
      schema: s.planScore,
      flag: "--plan-score <how>",
      help: "best-of-n without tests: a plan's score from its steps' scores (mean, min or last)",
    }),
    refineRounds: option({
      schema: s.refineRounds,
      flag: "--refine-rounds <n>",
      help: "self-refine: critique-and-revise rounds at most",
      showDefault: (n) => `${n}, Self-Refine's`,
    }),
    critiqueMaxTokens: option({ schema: s.critiqueMaxTokens }),
    revisionAttempts: option({
      schema: s.revisionAttempts,
      flag: "--revision-attempts <n>",
      help: "revision: attempts in all, the first included",
    }),
    verifyEnd: option({
      schema: s.verifyEnd,
      flag: "--verify-end",
      help: "mcts: implement and test a terminal plan before accepting it (problems with tests)",
      showDefault: (on) => (on ? "on" : "off, the paper's first <end>"),
    }),
    guided: option({
      schema: s.guided,
      flag: "--guided",
      negatable: "free-form scores read by the lenient parser, the paper's way (default: as --guided says)",
      help: "constrain evaluation replies to `Score: N` (vLLM guided decoding; a grammar in process)",
      showDefault: IN_PROCESS_DEFAULTS.guided ? "on in process, off with a server" : "off",
    }),
  },
  /** The code stage (plan -> code); its temperature and top-p come from the preset. */
  code: {
    temperature: option({ schema: z.number().min(0).max(2) }),
    topP: option({ schema: z.number().gt(0).max(1) }),
    maxTokens: option({
      schema: z.number().int().min(16).max(1_000_000),
      flag: "--max-tokens <n>",
      help: "max tokens of the code reply",
    }),
    /** Extra attempts when the reply has no code, or code that does not compile. */
    retries: option({ schema: z.number().int().min(0).max(20) }),
    style: option({
      schema: codeStyleSchema,
      flag: "--code-style <style>",
      help: "plain: one solution; modular: MoTCoder's sub-functions, each with a one-line docstring, then the function composing them",
    }),
  },
  /**
   * Code checks (src/run/code-checks.ts): every sample's code compiled in the executor before it is
   * written (code that does not compile is asked again within the code retries), and run against the
   * problem's own tests when it has some. The executor's rows are shared with sra eval.
   */
  check: {
    code: option({
      schema: z.boolean(),
      flag: "--no-check-code",
      help: "write code unchecked: no compiling it in the executor, no running the problem's tests (no Python needed)",
      showDefault: (on) => (on ? "compile every sample's code and run its problem's tests" : "off"),
    }),
    python: EXECUTE_SETTINGS.python,
    /** Its own default (configs/defaults.yaml: one worker, unlike eval's one per core). */
    workers: option({
      ...EXECUTE_SETTINGS.workers,
      schema: z.number().int().min(1).max(1024).nullable(),
      showDefault: (n) => (n === null ? "the number of cores" : String(n)),
    }),
  },
  input: {
    /** Absolute path of the problems file (relative paths are resolved). */
    problems: option({
      schema: z.string().min(1),
      flag: "--problems <file>",
      help: "problems file, JSONL or a JSON array (required, or set in --config)",
    }),
    questionField: option({
      schema: z.string().min(1),
      flag: "--question-field <name>",
      help: "field holding the problem statement",
    }),
    idField: option({
      schema: z.string().min(1).nullable(),
      flag: "--id-field <name>",
      help: "field holding the problem id; absent: derived from the question",
    }),
    skipInvalid: option({
      schema: z.boolean(),
      flag: "--skip-invalid",
      help: "skip and count invalid problem records instead of failing",
      showDefault: (skip) => (skip ? "skip them" : "strict"),
    }),
    /** The first N problems of the file (before sharding). */
    limit: option({
      schema: z.number().int().min(1).nullable(),
      flag: "--limit <n>",
      help: "only the first N problems of the file, before sharding",
      showDefault: (n) => (n === null ? "all" : String(n)),
    }),
    /**
     * Longer questions are invalid records (null: no limit). 100,000 characters is about 25k tokens,
     * 40x the longest LeetCode statement of the paper's data; a question past any model's context
     * would only fail every call of its search.
     */
    maxQuestionChars: option({ schema: z.number().int().min(1).nullable() }),
    shard: option({
      schema: shardSchema.nullable(),
      flag: "--shard <i/n>",
      help: "only shard i of n, numbered from 1 (1/4 .. 4/4), split by id hash",
      parse: parseShard,
      showDefault: (shard) => (shard === null ? "no sharding" : `${shard.index}/${shard.count}`),
    }),
  },
  /** The OpenAI-compatible servers (shared rows: src/llm/llm-settings.ts). */
  server: SERVER_SETTINGS,
  /** The in-process engine (shared rows). */
  llamaCpp: LLAMA_CPP_SETTINGS,
  run: {
    concurrency: option({
      schema: z.number().int().min(1).max(100_000),
      flag: "--concurrency <n>",
      help: "problems in progress at once; about 4x the request cap keeps the server busy",
      showDefault: (n) => `${n}; in process ${IN_PROCESS_DEFAULTS.problemsPerSequence} x --parallel`,
    }),
    /** null = no limit; an integer N >= 0 = at most N failures; 0 < f < 1 = at most that share. */
    maxFailures: option({
      schema: maxFailuresSchema,
      flag: "--max-failures <n|fraction>",
      help: 'stop when more than N problems fail, or more than this share after 10 (0 < f < 1), or "none"',
      parse: parseMaxFailuresSetting,
    }),
    retryFailures: option({
      schema: z.boolean(),
      flag: "--retry-failures",
      help: "redo problems recorded in failures.jsonl",
      showDefault: (retry) => (retry ? "redo them" : "skip them"),
    }),
    /** The request journal (src/run-dir/journal.ts); it changes no result, only what a crash costs. */
    journal: option({
      schema: z.boolean(),
      flag: "--no-journal",
      help: "keep no journal of the replies of problems in progress (a crash then loses their searches)",
      showDefault: (on) => (on ? "kept in <out>/journal/, replayed on resume" : "off"),
    }),
  },
};

export const GENERATE_SETTINGS = tableWithDefaults(GENERATE_ROWS, readDefaults("generate"));
