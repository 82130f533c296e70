/**
 * `sra generate`: flags only. Each flag becomes a field of a partial settings object (the top layer
 * of the config resolution); ranges are checked once, on the merged config, so a flag and a
 * --config file get the same rule and the same message. The work is runGenerate in
 * src/commands/generate.ts, imported when the command runs.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { UsageError } from "../errors.js";
import { parseMaxFailures } from "../run/failure-budget.js";
import { parseShard } from "../run/shard.js";
import { DEFAULT_SEARCH_PARAMS } from "../search/params.js";
import type { LogLevel } from "../util/logger.js";
import { logLevelOption, repeatOption } from "./options.js";

/** A number of any value: the range is checked with the merged config (one rule for flags and files). */
function numberArg(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) {
      throw new InvalidArgumentError(`${flag} must be a number (got "${value}")`);
    }
    return n;
  };
}

function intArg(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n)) {
      throw new InvalidArgumentError(`${flag} must be a whole number (got "${value}")`);
    }
    return n;
  };
}

/** A parser that turns a UsageError into commander's InvalidArgumentError (same exit code, one line). */
function viaUsage<T>(parse: (value: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (e) {
      if (e instanceof UsageError) throw new InvalidArgumentError(e.message + (e.hint ? ` (${e.hint})` : ""));
      throw e;
    }
  };
}

interface GenerateFlags {
  model?: string;
  problems?: string;
  out: string;
  baseUrl?: string[];
  servedModel?: string;
  apiKeyEnv?: string;
  concurrency?: number;
  maxRequests?: number;
  adaptive: boolean;
  iterations?: number;
  timeBudget?: number;
  branches?: number;
  c?: number;
  alpha?: number;
  rewardScale?: "unit" | "raw";
  maxDepth?: number;
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  limit?: number;
  stage?: "plans" | "code" | "all";
  strategy?: "mcts" | "cot";
  guided?: boolean;
  promptsDir?: string;
  questionField?: string;
  idField?: string;
  skipInvalid?: boolean;
  shard?: { index: number; count: number };
  maxFailures?: ReturnType<typeof parseMaxFailures>;
  timeout?: number;
  maxOutage?: number;
  retryFailures?: boolean;
  config?: string;
  logLevel: LogLevel;
  progress: boolean;
}

const d = DEFAULT_SEARCH_PARAMS;

export function generateCommand(): Command {
  return new Command("generate")
    .description(
      "Search step-by-step plans with SRA-MCTS, then turn each plan into code, writing an " +
        "append-only, resumable run directory (rerun the same command to resume). " +
        "Defaults come from configs/generate.json and the model preset; --config and flags override them.",
    )
    .option(
      "--model <name>",
      "model preset (see `sra models`) or a served model name (required, or set in --config)",
    )
    .option("--problems <file>", "problems file, JSONL or a JSON array (required, or set in --config)")
    .requiredOption("--out <dir>", "run directory (required; created, or resumed when it exists)")
    .option(
      "--base-url <url>",
      "OpenAI-compatible server, repeat for several (default: $OPENAI_BASE_URL, else http://localhost:8000/v1)",
      repeatOption,
    )
    .option("--served-model <name>", "model name the server serves (default: the preset's servedModel)")
    .option(
      "--api-key-env <var>",
      'environment variable holding the API key; only its NAME is saved (default: OPENAI_API_KEY; unset: "EMPTY")',
    )
    .option(
      "--concurrency <n>",
      "problems in progress at once; about 4x the request cap keeps the server busy (default: 256)",
      intArg("--concurrency"),
    )
    .option(
      "--max-requests <n>",
      "LLM requests in flight at once, over all endpoints (default: 64)",
      intArg("--max-requests"),
    )
    .option(
      "--no-adaptive",
      "keep the request cap fixed instead of lowering it on 429/503 (default: adaptive)",
    )
    .option(
      "--iterations <n>",
      `MCTS iterations per problem (default: ${d.iterations})`,
      intArg("--iterations"),
    )
    .option(
      "--time-budget <sec>",
      "search time budget per problem in seconds (default: none)",
      numberArg("--time-budget"),
    )
    .option(
      "--branches <n>",
      `children per expansion (default: ${d.branches}, the paper's)`,
      intArg("--branches"),
    )
    .option("--c <c>", `UCB1 exploration constant (default: ${d.c}, the paper's)`, numberArg("--c"))
    .option(
      "--alpha <a>",
      `backpropagation weight of a node's own reward (default: ${d.alpha}, the paper's)`,
      numberArg("--alpha"),
    )
    .addOption(
      new Option(
        "--reward-scale <scale>",
        `rewards as score/10 (unit) or 0-10 (raw) (default: ${d.rewardScale})`,
      ).choices(["unit", "raw"]),
    )
    .option("--max-depth <n>", `deepest plan step (default: ${d.maxDepth})`, intArg("--max-depth"))
    .option(
      "--temperature <t>",
      "sampling temperature of search and code (default: the preset's, 0.7 for the built-in ones)",
      numberArg("--temperature"),
    )
    .option("--max-tokens <n>", "max tokens of the code reply (default: 1536)", intArg("--max-tokens"))
    .option("--seed <n>", "seed of the search's random choices (default: 0)", intArg("--seed"))
    .option(
      "--limit <n>",
      "only the first N problems of the file, before sharding (default: all)",
      intArg("--limit"),
    )
    .addOption(
      new Option(
        "--stage <stage>",
        "plans: search only; code: plans.jsonl -> code; all: both (default: all)",
      ).choices(["plans", "code", "all"]),
    )
    .addOption(
      new Option("--strategy <s>", "mcts (SRA-MCTS) or cot (one-pass baseline) (default: mcts)").choices([
        "mcts",
        "cot",
      ]),
    )
    .option("--guided", "ask the server (vLLM) for guided decoding of scores (default: off)")
    .option(
      "--prompts-dir <dir>",
      "directory with propose/reflect/evaluate/implement/cot.md (default: built-in prompts/)",
    )
    .option("--question-field <name>", "field holding the problem statement (default: question)")
    .option(
      "--id-field <name>",
      "field holding the problem id; absent: derived from the question (default: id)",
    )
    .option("--skip-invalid", "skip and count invalid problem records instead of failing (default: strict)")
    .option(
      "--shard <i/n>",
      "only shard i of n, numbered from 1 (1/4 .. 4/4), split by id hash (default: no sharding)",
      viaUsage(parseShard),
    )
    .option(
      "--max-failures <n|fraction>",
      'stop when more than N problems fail, or more than this share after 10 (0 < f < 1), or "none" (default: 0.5)',
      viaUsage(parseMaxFailures),
    )
    .option("--timeout <sec>", "seconds to wait for one LLM request (default: 300)", numberArg("--timeout"))
    .option(
      "--max-outage <sec>",
      "when every server is down (a restart), requests wait this long for one to come back instead of failing their problems; 0 = do not wait (default: 600)",
      numberArg("--max-outage"),
    )
    .option("--retry-failures", "redo problems recorded in failures.jsonl (default: skip them)")
    .option(
      "--config <file>",
      "JSON settings file, same shape as a run's config.json; paths are relative to it (default: none)",
    )
    .option(
      "--log-level <level>",
      "generate.log level: fatal, error, warn, info, debug, trace, silent",
      logLevelOption,
      "info",
    )
    .option("--no-progress", "no progress bar or progress lines on stderr (default: shown)")
    .action(async (flags: GenerateFlags, command: Command) => {
      const search: Record<string, unknown> = {
        iterations: flags.iterations,
        timeBudgetSec: flags.timeBudget,
        branches: flags.branches,
        c: flags.c,
        alpha: flags.alpha,
        rewardScale: flags.rewardScale,
        maxDepth: flags.maxDepth,
        temperature: flags.temperature,
        guided: flags.guided ? true : undefined,
      };
      const maxFailures =
        flags.maxFailures === undefined
          ? undefined
          : flags.maxFailures.kind === "none"
            ? null
            : flags.maxFailures.kind === "count"
              ? flags.maxFailures.count
              : flags.maxFailures.fraction;
      const { runGenerate } = await import("../commands/generate.js");
      await runGenerate(
        {
          out: flags.out,
          configFile: flags.config,
          logLevel: flags.logLevel,
          progress: flags.progress,
          settings: {
            model: flags.model,
            servedModel: flags.servedModel,
            strategy: flags.strategy,
            stage: flags.stage,
            seed: flags.seed,
            promptsDir: flags.promptsDir,
            search,
            code: { temperature: flags.temperature, maxTokens: flags.maxTokens },
            input: {
              problems: flags.problems,
              questionField: flags.questionField,
              idField: flags.idField,
              skipInvalid: flags.skipInvalid ? true : undefined,
              limit: flags.limit,
              shard: flags.shard,
            },
            server: {
              baseUrls: flags.baseUrl,
              apiKeyEnv: flags.apiKeyEnv,
              timeoutSec: flags.timeout,
              maxOutageSec: flags.maxOutage,
              maxRequests: flags.maxRequests,
              // Only an explicit --no-adaptive overrides the config.
              adaptive: command.getOptionValueSource("adaptive") === "cli" ? flags.adaptive : undefined,
            },
            run: {
              concurrency: flags.concurrency,
              maxFailures,
              retryFailures: flags.retryFailures ? true : undefined,
            },
          },
        },
        { stderr: process.stderr, env: process.env, handleSignals: true },
      );
    });
}
