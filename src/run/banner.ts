/**
 * What `sra generate` says on stderr when it starts: what it will do (to do / selected / done / failed
 * earlier), against which model and server, how, and where; then what reading the problems file
 * found (invalid records skipped, repeated questions dropped). Pure: numbers in, text out.
 */
import type { ReadProblemsStats } from "../problems/read-problems.js";
import type { RunConfig } from "./config.js";
import { formatShard } from "./shard.js";
import type { SelectionCounts } from "./summary.js";

export function formatBanner(dir: string, config: RunConfig, selection: SelectionCounts): string {
  const s = selection;
  return (
    `sra generate: ${s.todo} to do of ${s.selected} selected` +
    (config.input.shard ? ` (shard ${formatShard(config.input.shard)})` : "") +
    `; ${s.alreadyDone} already done, ${s.failedEarlier} failed earlier` +
    (s.withoutPlan > 0 ? `, ${s.withoutPlan} without a plan yet` : "") +
    (s.invalidSkipped > 0 ? `; ${s.invalidSkipped} invalid records skipped` : "") +
    `\n  model ${config.model.servedModel} at ${config.server.baseUrls.join(", ")}; ` +
    `${config.strategy}, stage ${config.stage}; concurrency ${config.run.concurrency}, max requests ${config.server.maxRequests}` +
    `\n  run dir ${dir}\n`
  );
}

/** The first three messages of a list, one per indented line. */
function firstThree(messages: readonly { message: string }[]): string {
  return messages
    .slice(0, 3)
    .map((e) => `\n    ${e.message}`)
    .join("");
}

/**
 * The notes about the problems file, one line each (with up to three examples); "" when none. Repeated
 * questions are those of the selection only (`repeats`, `count`): a repeat past --limit is not news.
 */
export function formatReadNotes(
  stats: ReadProblemsStats,
  repeated: { count: number; examples: readonly { message: string }[] },
): string {
  let text = "";
  if (stats.invalid > 0) {
    text += `sra: warning: skipped ${stats.invalid} invalid problem records (--skip-invalid):${firstThree(stats.errors)}\n`;
  }
  if (repeated.count > 0) {
    text += `sra: note: skipped ${repeated.count} repeated questions (the first of each is kept):${firstThree(repeated.examples)}\n`;
  }
  return text;
}
