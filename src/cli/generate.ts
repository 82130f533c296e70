/**
 * `sra generate`: flags only. The settings' flags come from the option table
 * (src/run/generate-settings.ts), each with its default in the help; a flag given on the command line
 * becomes a field of a partial settings object (the top layer of the config resolution). Ranges are
 * checked once, on the merged config, so a flag and a --config file get the same rule and the same
 * message. The work is runGenerate in src/commands/generate.ts, imported when the command runs.
 */
import { Command, Option } from "commander";
import type { GenerateOptions } from "../commands/generate.js";
import type { Settings } from "../run/config.js";
import { GENERATE_SETTINGS } from "../run/generate-settings.js";
import { addTableOptions, logAndProgressOptions, type RunCommandFlags, tableSettings } from "./options.js";

/** The command's own options (not settings of the run). */
const OWN_OPTIONS = {
  // Not commander-mandatory: runGenerate reports it with the other missing options, in one message.
  "--out": () => new Option("--out <dir>", "run directory (required; created, or resumed when it exists)"),
  "--config": () =>
    new Option(
      "--config <file>",
      "JSON settings file, same shape as a run's config.json; paths are relative to it (default: none)",
    ),
  ...logAndProgressOptions("generate.log"),
};

/**
 * The order of --help: the command's own options by flag, the settings by path. A setting's flag not
 * listed here comes after the listed ones, so a new row shows up without an edit here.
 */
const HELP_ORDER: readonly string[] = [
  "model",
  "input.problems",
  "--out",
  "engine",
  "server.baseUrls",
  "llamaCpp.gguf",
  "servedModel",
  "server.apiKeyEnv",
  "run.concurrency",
  "server.maxRequests",
  "server.adaptive",
  "llamaCpp.parallel",
  "llamaCpp.threads",
  "llamaCpp.contextSize",
  "llamaCpp.gpu",
  "search.iterations",
  "search.timeBudgetSec",
  "search.parallelIterations",
  "search.parallelAfter",
  "search.branches",
  "search.c",
  "search.alpha",
  "search.rewardScale",
  "search.maxDepth",
  "search.temperature",
  "code.maxTokens",
  "check.code",
  "check.workers",
  "check.python",
  "seed",
  "input.limit",
  "stage",
  "strategy",
  "search.beamWidth",
  "search.beamExpansions",
  "search.samples",
  "search.planScore",
  "search.refineRounds",
  "search.revisionAttempts",
  "search.verifyEnd",
  "code.style",
  "search.guided",
  "promptsDir",
  "input.questionField",
  "input.idField",
  "input.skipInvalid",
  "input.shard",
  "run.maxFailures",
  "server.timeoutSec",
  "server.maxOutageSec",
  "run.retryFailures",
  "run.journal",
];
const TRAILING = ["--config", "--log-level", "--no-progress"] as const;

/** What the command does with its options: runGenerate on this process's stderr and environment. */
async function runFromCli(options: GenerateOptions): Promise<void> {
  const { runGenerate } = await import("../commands/generate.js");
  await runGenerate(options, { stderr: process.stderr, env: process.env, handleSignals: true });
}

/** The command; `run` replaces what it does with the parsed options (tests run generate in-process). */
export function generateCommand(run: (options: GenerateOptions) => Promise<unknown> = runFromCli): Command {
  const command = new Command("generate").description(
    "Search step-by-step plans with SRA-MCTS, then turn each plan into code, writing an " +
      "append-only, resumable run directory (rerun the same command to resume). " +
      "With --base-url (or $OPENAI_BASE_URL) the model is served by OpenAI-compatible server(s); without, " +
      "sra runs it in this process with llama.cpp (no server; the preset's GGUF is downloaded once). " +
      "Defaults are shown with each flag (sampling comes from the model preset); --config and flags override them.",
  );
  const entries = addTableOptions(command, GENERATE_SETTINGS, {
    order: HELP_ORDER,
    own: OWN_OPTIONS,
    trailing: TRAILING,
  });
  return command.action(async (flags: RunCommandFlags, cmd: Command) => {
    await run({
      ...(flags.out === undefined ? {} : { out: flags.out }),
      configFile: flags.config,
      logLevel: flags.logLevel,
      progress: flags.progress,
      settings: tableSettings(cmd, entries) as Settings,
    });
  });
}
