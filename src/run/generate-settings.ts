/**
 * Every setting of `sra generate`, one row each: where it lives in config.json, its schema and
 * default, its flag and its help (src/util/option-table.ts). The run config's schema and types
 * (src/run/config.ts), the defaults, the flag-to-path map and the command line's options and help
 * (src/cli/generate.ts) are all made from this table. Adding a setting is adding a row.
 *
 * Defaults live in the rows, except where another module owns them: the search parameters'
 * (searchParamsSchema, with the paper's values and why) and the retry policy's (DEFAULT_RETRY_POLICY).
 * The code stage's temperature and top-p have none: they always come from the model preset.
 *
 * Loaded by the command line to build --help: keep it free of I/O and of heavy imports.
 */
import { z } from "zod";
import { EXECUTE_SETTINGS } from "../execute/settings.js";
import { DEFAULT_RETRY_POLICY } from "../llm/retry.js";
import { searchParamsSchema } from "../search/params.js";
import { strategySchema } from "../types.js";
import { option } from "../util/option-table.js";
import { maxFailuresSchema, parseMaxFailuresSetting } from "./failure-budget.js";
import { parseShard } from "./shard.js";

/** The API key sent when its environment variable is unset (local servers accept any). */
export const PLACEHOLDER_API_KEY = "EMPTY";

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
    })
    .strict(),
]);

const s = searchParamsSchema.shape;
const r = DEFAULT_RETRY_POLICY;
const onOff = (v: boolean) => (v ? "on" : "off");

export const GENERATE_SETTINGS = {
  model: option({
    schema: modelSettingSchema,
    flag: "--model <name>",
    help: "model preset (see `sra models`) or a served model name (required, or set in --config)",
  }),
  servedModel: option({
    schema: z.string().min(1),
    flag: "--served-model <name>",
    help: "model name the server serves",
    showDefault: "the preset's servedModel",
  }),
  strategy: option({
    schema: strategySchema.default("mcts"),
    flag: "--strategy <s>",
    help: "mcts (SRA-MCTS) or cot (one-pass baseline)",
  }),
  stage: option({
    schema: stageChoiceSchema.default("all"),
    flag: "--stage <stage>",
    help: "plans: search only; code: plans.jsonl -> code; all: both",
  }),
  seed: option({
    schema: z.number().int().min(0).max(0xffffffff).default(0),
    flag: "--seed <n>",
    help: "seed of the search's random choices",
  }),
  promptsDir: option({
    schema: z.string().min(1).nullable().default(null),
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
    guided: option({
      schema: s.guided,
      flag: "--guided",
      help: "ask the server (vLLM) for guided decoding of scores",
      showDefault: onOff,
    }),
  },
  /** The code stage (plan -> code); its temperature and top-p come from the preset. */
  code: {
    temperature: option({ schema: z.number().min(0).max(2) }),
    topP: option({ schema: z.number().gt(0).max(1) }),
    maxTokens: option({
      schema: z.number().int().min(16).max(1_000_000).default(1536),
      flag: "--max-tokens <n>",
      help: "max tokens of the code reply",
    }),
    /** Extra attempts when the reply has no code, or code that does not compile. */
    retries: option({ schema: z.number().int().min(0).max(20).default(2) }),
  },
  /**
   * Code checks (src/run/code-checks.ts): every sample's code compiled in the executor before it is
   * written (code that does not compile is asked again within the code retries), and run against the
   * problem's own tests when it has some. The executor's rows are shared with sra eval.
   */
  check: {
    code: option({
      schema: z.boolean().default(true),
      flag: "--no-check-code",
      help: "write code unchecked: no compiling it in the executor, no running the problem's tests (no Python needed)",
      showDefault: (on) => (on ? "compile every sample's code and run its problem's tests" : "off"),
    }),
    python: EXECUTE_SETTINGS.python,
    workers: EXECUTE_SETTINGS.workers,
  },
  input: {
    /** Absolute path of the problems file (relative paths are resolved). */
    problems: option({
      schema: z.string().min(1),
      flag: "--problems <file>",
      help: "problems file, JSONL or a JSON array (required, or set in --config)",
    }),
    questionField: option({
      schema: z.string().min(1).default("question"),
      flag: "--question-field <name>",
      help: "field holding the problem statement",
    }),
    idField: option({
      schema: z.string().min(1).nullable().default("id"),
      flag: "--id-field <name>",
      help: "field holding the problem id; absent: derived from the question",
    }),
    skipInvalid: option({
      schema: z.boolean().default(false),
      flag: "--skip-invalid",
      help: "skip and count invalid problem records instead of failing",
      showDefault: (skip) => (skip ? "skip them" : "strict"),
    }),
    /** The first N problems of the file (before sharding). */
    limit: option({
      schema: z.number().int().min(1).nullable().default(null),
      flag: "--limit <n>",
      help: "only the first N problems of the file, before sharding",
      showDefault: (n) => (n === null ? "all" : String(n)),
    }),
    /**
     * Longer questions are invalid records (null: no limit). 100,000 characters is about 25k tokens,
     * 40x the longest LeetCode statement of the paper's data; a question past any model's context
     * would only fail every call of its search.
     */
    maxQuestionChars: option({ schema: z.number().int().min(1).nullable().default(100_000) }),
    shard: option({
      schema: shardSchema.nullable().default(null),
      flag: "--shard <i/n>",
      help: "only shard i of n, numbered from 1 (1/4 .. 4/4), split by id hash",
      parse: parseShard,
      showDefault: (shard) => (shard === null ? "no sharding" : `${shard.index}/${shard.count}`),
    }),
  },
  server: {
    baseUrls: option({
      schema: z
        .array(z.url({ protocol: /^https?$/ }))
        .min(1)
        .default(["http://localhost:8000/v1"]),
      flag: "--base-url <url>",
      help: "OpenAI-compatible server, repeat for several",
      showDefault: (urls) => `$OPENAI_BASE_URL, else ${urls.join(", ")}`,
    }),
    /** The NAME of the environment variable holding the key; the key itself is never stored. */
    apiKeyEnv: option({
      schema: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name")
        .default("OPENAI_API_KEY"),
      flag: "--api-key-env <var>",
      help: "environment variable holding the API key; only its NAME is saved",
      showDefault: (name) => `${name}; unset: "${PLACEHOLDER_API_KEY}"`,
    }),
    timeoutSec: option({
      schema: z.number().positive().max(86_400).default(300),
      flag: "--timeout <sec>",
      help: "seconds to wait for one LLM request",
    }),
    /** How long requests wait when every endpoint is down, before failures count again (0: no wait). */
    maxOutageSec: option({
      schema: z.number().min(0).max(86_400).default(600),
      flag: "--max-outage <sec>",
      help: "when every server is down (a restart), requests wait this long for one to come back instead of failing their problems; 0 = do not wait",
    }),
    maxRequests: option({
      schema: z.number().int().min(1).max(100_000).default(64),
      flag: "--max-requests <n>",
      help: "LLM requests in flight at once, over all endpoints",
    }),
    adaptive: option({
      schema: z.boolean().default(true),
      flag: "--no-adaptive",
      help: "keep the request cap fixed instead of lowering it on 429/503",
      showDefault: (adaptive) => (adaptive ? "adaptive" : "fixed"),
    }),
    /** The LLM edge's retries (src/llm/retry.ts); --config only. */
    retry: {
      maxAttempts: option({ schema: z.number().int().min(1).max(100).default(r.maxAttempts) }),
      initialDelayMs: option({ schema: z.number().int().min(0).default(r.initialDelayMs) }),
      maxDelayMs: option({ schema: z.number().int().min(0).default(r.maxDelayMs) }),
      factor: option({ schema: z.number().min(1).max(10).default(r.factor) }),
      jitter: option({ schema: z.number().min(0).max(1).default(r.jitter) }),
    },
  },
  run: {
    concurrency: option({
      schema: z.number().int().min(1).max(100_000).default(256),
      flag: "--concurrency <n>",
      help: "problems in progress at once; about 4x the request cap keeps the server busy",
    }),
    /** null = no limit; an integer N >= 0 = at most N failures; 0 < f < 1 = at most that share. */
    maxFailures: option({
      schema: maxFailuresSchema.default(0.5),
      flag: "--max-failures <n|fraction>",
      help: 'stop when more than N problems fail, or more than this share after 10 (0 < f < 1), or "none"',
      parse: parseMaxFailuresSetting,
    }),
    retryFailures: option({
      schema: z.boolean().default(false),
      flag: "--retry-failures",
      help: "redo problems recorded in failures.jsonl",
      showDefault: (retry) => (retry ? "redo them" : "skip them"),
    }),
  },
};
