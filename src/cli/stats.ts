/** `sra stats` flags -> StatsOptions; runStats (src/commands/stats.ts) is imported when it runs. */
import { Command } from "commander";

export function statsCommand(): Command {
  return new Command("stats")
    .description(
      "Summarize one or more run directories (side by side): problems done and failed, plans reaching <end>,\n" +
        "steps per plan, score distributions, score-parse counters, LLM calls, tokens and time per problem.",
    )
    .argument("<run-dir...>", "run directories written by `sra generate`")
    .option("--json", "print the statistics as JSON instead of a table (default: table)", false)
    .action(async (runs: string[], flags: { json: boolean }) => {
      const { runStats } = await import("../commands/stats.js");
      await runStats({ runs, json: flags.json });
    });
}
