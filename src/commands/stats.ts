/**
 * `sra stats`: is this run healthy? Streams each run directory into RunStats (src/run-dir/read-run.ts)
 * and prints a side-by-side table, or JSON with --json.
 */
import type { RunStats } from "../run-dir/accumulator.js";
import { collectRunStats } from "../run-dir/read-run.js";
import { formatStatsTable } from "../stats/format.js";

export interface StatsOptions {
  runs: string[];
  json?: boolean | undefined;
}

export async function runStats(
  options: StatsOptions,
  io: { stdout?: NodeJS.WritableStream } = {},
): Promise<RunStats[]> {
  const stats: RunStats[] = [];
  // One run at a time: each streams its own files, so memory stays that of one run's numbers.
  for (const dir of options.runs) stats.push(await collectRunStats(dir));
  const text = options.json ? `${JSON.stringify({ runs: stats }, null, 2)}\n` : formatStatsTable(stats);
  (io.stdout ?? process.stdout).write(text);
  return stats;
}
