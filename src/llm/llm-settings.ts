/**
 * The settings every command that calls a model shares (generate today, eval next), as option-table
 * rows (src/util/option-table.ts) a command puts into its own table: which engine runs the model,
 * the servers', and the in-process engine's. And the engine rule:
 *
 *   an explicit --engine wins; else a base URL (--base-url, $OPENAI_BASE_URL, or a --config file's
 *   server.baseUrls) means the OpenAI-compatible server(s); else the in-process llama.cpp engine.
 *
 * sra used to assume a server at http://localhost:8000/v1 when none was given; it no longer does
 * (README, "Which engine runs"). Loaded by the command line to build --help: no I/O, no heavy imports.
 */
import { z } from "zod";
import { readDefaults, readDefaultsAs } from "../util/config-defaults.js";
import { option, tableWithDefaults } from "../util/option-table.js";

/** The API key sent when its environment variable is unset (local servers accept any). */
export const PLACEHOLDER_API_KEY = "EMPTY";

export const ENGINES = ["openai", "llama-cpp"] as const;
export const engineSchema = z.enum(ENGINES);
export type EngineName = z.infer<typeof engineSchema>;

/**
 * Defaults that differ on the in-process engine, applied above the table's own and below --config
 * and the flags (configs/defaults.yaml, section `inProcess`, says why each): guided scores, a longer
 * request deadline, problems in progress per sequence; and the preset it runs when neither --model
 * nor --gguf says otherwise.
 */
const inProcessDefaultsSchema = z
  .object({
    model: z.string().min(1),
    guided: z.boolean(),
    timeoutSec: z.number().positive(),
    problemsPerSequence: z.number().int().min(1),
  })
  .strict();

const IN_PROCESS = readDefaultsAs("inProcess", inProcessDefaultsSchema);

export const IN_PROCESS_DEFAULTS: Readonly<Omit<z.infer<typeof inProcessDefaultsSchema>, "model">> = {
  guided: IN_PROCESS.guided,
  timeoutSec: IN_PROCESS.timeoutSec,
  problemsPerSequence: IN_PROCESS.problemsPerSequence,
};

/** The preset the in-process engine runs when neither --model nor --gguf says otherwise. */
export const DEFAULT_IN_PROCESS_MODEL = IN_PROCESS.model;

/** The rule: explicit engine, else the server when a base URL is given, else in process. */
export function chooseEngine(input: {
  explicit?: EngineName | undefined;
  baseUrls: readonly string[];
}): EngineName {
  if (input.explicit) return input.explicit;
  return input.baseUrls.length > 0 ? "openai" : "llama-cpp";
}

export const ENGINE_SETTING = option({
  schema: engineSchema,
  flag: "--engine <engine>",
  help: "openai: OpenAI-compatible server(s); llama-cpp: the model runs in this process (llama.cpp, no server)",
  showDefault: "openai with --base-url or $OPENAI_BASE_URL, else llama-cpp",
});

/** The OpenAI-compatible servers' settings (engine openai); defaults: configs/defaults.yaml, `server`. */
export const SERVER_SETTINGS = tableWithDefaults(
  {
    baseUrls: option({
      schema: z.array(z.url({ protocol: /^https?$/ })),
      flag: "--base-url <url>",
      help: "OpenAI-compatible server (vLLM, SGLang, Ollama, ...), repeat for several; with one, the engine is openai",
      showDefault: "$OPENAI_BASE_URL, else none (the in-process engine)",
    }),
    /** The NAME of the environment variable holding the key; the key itself is never stored. */
    apiKeyEnv: option({
      schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"),
      flag: "--api-key-env <var>",
      help: "environment variable holding the API key; only its NAME is saved",
      showDefault: (name) => `${name}; unset: "${PLACEHOLDER_API_KEY}"`,
    }),
    timeoutSec: option({
      schema: z.number().positive().max(86_400),
      flag: "--timeout <sec>",
      help: "seconds to wait for one LLM request",
      showDefault: (sec) => `${sec}; in process ${IN_PROCESS_DEFAULTS.timeoutSec}`,
    }),
    /** How long requests wait when every endpoint is down, before failures count again (0: no wait). */
    maxOutageSec: option({
      schema: z.number().min(0).max(86_400),
      flag: "--max-outage <sec>",
      help: "when every server is down (a restart), requests wait this long for one to come back instead of failing their problems; 0 = do not wait",
    }),
    maxRequests: option({
      schema: z.number().int().min(1).max(100_000),
      flag: "--max-requests <n>",
      help: "LLM requests in flight at once, over all endpoints (in process: --parallel)",
    }),
    adaptive: option({
      schema: z.boolean(),
      flag: "--no-adaptive",
      help: "keep the request cap fixed instead of lowering it on 429/503",
      showDefault: (adaptive) => (adaptive ? "adaptive" : "fixed"),
    }),
    /** The LLM edge's retries (src/llm/retry.ts); --config only. */
    retry: {
      maxAttempts: option({ schema: z.number().int().min(1).max(100) }),
      initialDelayMs: option({ schema: z.number().int().min(0) }),
      maxDelayMs: option({ schema: z.number().int().min(0) }),
      factor: option({ schema: z.number().min(1).max(10) }),
      jitter: option({ schema: z.number().min(0).max(1) }),
    },
  },
  readDefaults("server"),
);

/** The in-process engine's settings (engine llama-cpp); defaults: configs/defaults.yaml, `llamaCpp`. */
export const LLAMA_CPP_SETTINGS = tableWithDefaults(
  {
    /** A local GGUF file; null: the preset's GGUF source, downloaded once into the cache. */
    gguf: option({
      schema: z.string().min(1).nullable(),
      flag: "--gguf <file>",
      help: "a local GGUF model file for the in-process engine",
      showDefault: "the preset's GGUF source, downloaded once into $SRA_CACHE_DIR/models",
    }),
    /** Tokens of KV cache per sequence (at most what the model was trained on). */
    contextSize: option({
      schema: z.number().int().min(512).max(1_048_576),
      flag: "--context-size <n>",
      help: "tokens per sequence of the in-process engine (a prompt and its reply must fit)",
    }),
    parallel: option({
      schema: z.number().int().min(1).max(64),
      flag: "--parallel <n>",
      help: "sequences the in-process engine decodes at once (one model, one context)",
    }),
    /** null: one per math core, less one, at least one (defaultThreads). */
    threads: option({
      schema: z.number().int().min(1).max(1024).nullable(),
      flag: "--threads <n>",
      help: "CPU threads of the in-process engine; more than the free cores is many times slower",
      showDefault: (n) => (n === null ? "the cores less one, at least 1" : String(n)),
    }),
    gpu: option({
      schema: z.enum(["auto", "off"]),
      flag: "--gpu <mode>",
      help: "auto: CUDA, Metal or Vulkan when its prebuilt binary loads, else the CPU; off: the CPU",
    }),
  },
  readDefaults("llamaCpp"),
);
