/**
 * `sra merge <run-dir>... --out <dir>`: flags only; the work is runMerge in src/commands/merge.ts,
 * imported when the command runs.
 */
import { Command } from "commander";

export function mergeCommand(): Command {
  return new Command("merge")
    .description(
      "Combine run directories (e.g. the shards of one `sra generate --shard i/n` run) into one: " +
        "records deduplicated by id, conflicts (same id, different content) reported on stderr and in " +
        "<out>/merge-report.json (the first run given wins), failures dropped where another run has the sample. " +
        "The runs must agree on every result-affecting setting (model, strategy, search, code, seed, prompts).",
    )
    .argument("<run-dirs...>", "run directories written by sra generate")
    .requiredOption("--out <dir>", "new run directory to write (must not exist, or be empty)")
    .option(
      "--strict",
      "treat a conflict as an error: write nothing and exit 1 (default: off, the first run given wins)",
    )
    .action(async (runDirs: string[], flags: { out: string; strict?: boolean }) => {
      const { runMerge } = await import("../commands/merge.js");
      await runMerge({ runDirs, out: flags.out, strict: flags.strict === true }, { stderr: process.stderr });
    });
}
