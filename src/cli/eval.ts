/**
 * `sra eval` and `sra eval compare`: flags only. The settings' flags come from eval's option table
 * (src/eval/eval-settings.ts), each with its default in the help; a flag given on the command line
 * becomes a field of the top settings layer. The work is runEval / runEvalCompare in src/commands/,
 * imported when the command runs.
 */
import { Command, Option } from "commander";
import type { EvalOptions } from "../commands/eval.js";
import { UsageError } from "../errors.js";
import type { EvalSettings } from "../eval/eval-config.js";
import { EVAL_SETTINGS } from "../eval/eval-settings.js";
import { addTableOptions, logAndProgressOptions, type RunCommandFlags, tableSettings } from "./options.js";

const OWN_OPTIONS = {
  "--out": () =>
    new Option(
      "--out <dir>",
      "eval directory: one folder per benchmark, created, or resumed when it exists (required)",
    ),
  "--config": () =>
    new Option(
      "--config <file>",
      "JSON settings file, laid out like a folder's config.json; paths are relative to it (default: none)",
    ),
  ...logAndProgressOptions("eval.log"),
};

/** The order of --help: own options by flag, the settings by path; unlisted rows follow. */
const HELP_ORDER: readonly string[] = [
  "benchmarks",
  "model",
  "--out",
  "samples",
  "generation.n",
  "generation.greedy",
  "generation.temperature",
  "generation.topP",
  "generation.maxTokens",
  "generation.seed",
  "generation.instruction",
  "promptsDir",
  "input.limit",
  "input.onlyUnsolved",
  "engine",
  "server.baseUrls",
  "llamaCpp.gguf",
  "servedModel",
  "server.apiKeyEnv",
  "run.concurrency",
  "server.maxRequests",
  "server.adaptive",
  "server.timeoutSec",
  "server.maxOutageSec",
  "llamaCpp.parallel",
  "llamaCpp.threads",
  "llamaCpp.contextSize",
  "llamaCpp.gpu",
  "run.maxFailures",
  "execute.workers",
  "execute.python",
  "datasets.dir",
  "datasets.url",
  "datasets.cacheDir",
];
const TRAILING = ["--config", "--log-level", "--no-progress"] as const;

async function runFromCli(options: EvalOptions): Promise<void> {
  const { runEval } = await import("../commands/eval.js");
  await runEval(options, {
    stderr: process.stderr,
    stdout: process.stdout,
    env: process.env,
    handleSignals: true,
  });
}

function compareCommand(): Command {
  return new Command("compare")
    .description(
      "The paper's Table 1 from several eval runs: one row per run; MBPP, MBPP+, MBPP+ pass@10, HumanEval, " +
        "HumanEval+, HumanEval+ pass@10 (pass@1 in percent unless named), and the average increment over the first run.",
    )
    .argument(
      "<eval-dirs...>",
      "the --out directories of `sra eval` runs (or one benchmark's folder each); the first is the baseline",
    )
    .option("--markdown", "a markdown table (default: aligned text)")
    .action(async (runs: string[], flags: { markdown?: boolean }) => {
      const { runEvalCompare } = await import("../commands/eval-compare.js");
      await runEvalCompare({ runs, markdown: flags.markdown === true }, { stdout: process.stdout });
    });
}

/** The command; `run` replaces what it does with the parsed options (tests run eval in-process). */
export function evalCommand(run: (options: EvalOptions) => Promise<unknown> = runFromCli): Command {
  const command = new Command("eval").description(
    "Measure pass@1 / pass@k on HumanEval(+), MBPP(+) or a benchmark file of your own, as the paper does: " +
      "the model answers each task (or --samples gives the answers), each answer runs in the sandboxed executor, " +
      "verdicts follow evalplus's rules. The model runs as in generate: on --base-url server(s), else in this " +
      "process with llama.cpp. One folder per benchmark under --out; rerun the same command to resume. " +
      "`sra eval compare` puts runs side by side.",
  );
  const entries = addTableOptions(command, EVAL_SETTINGS, {
    order: HELP_ORDER,
    own: OWN_OPTIONS,
    trailing: TRAILING,
  });
  command.addCommand(compareCommand().exitOverride());
  return command.action(async (flags: RunCommandFlags, cmd: Command) => {
    if (flags.out === undefined) {
      throw new UsageError("--out <dir> is required: the eval directory (one folder per benchmark)");
    }
    await run({
      out: flags.out,
      ...(flags.config !== undefined ? { configFile: flags.config } : {}),
      logLevel: flags.logLevel,
      progress: flags.progress,
      settings: tableSettings(cmd, entries) as EvalSettings,
    });
  });
}
