/** `sra stats` flags -> StatsOptions. */
import { Command } from "commander";
import { runStats } from "../commands/stats.js";

export function statsCommand(): Command {
  return new Command("stats")
    .description(
      "Summarize one or more run directories (side by side): problems done and failed, plans reaching <end>,\n" +
        "steps per plan, score distributions, score-parse counters, LLM calls, tokens and time per problem.",
    )
    .argument("<run-dir...>", "run directories written by `sra generate`")
    .option("--json", "print the statistics as JSON instead of a table (default: table)", false)
    .action(async (runs: string[], flags: { json: boolean }) => {
      await runStats({ runs, json: flags.json });
    });
}
