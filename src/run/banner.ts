/**
 * What `sra generate` says on stderr when it starts: what it will do (to do / selected / done / failed
 * earlier), against which model and server (or in process: the model file, its size, and how the
 * engine runs it), how, and where; then what reading the problems file found (invalid records
 * skipped, repeated questions dropped). Pure: numbers in, text out.
 */
import type { LlmStackDescription } from "../llm/create-llm-stack.js";
import { formatEngineBanner } from "../llm/llama-cpp/banner.js";
import type { ReadProblemsStats } from "../problems/read-problems.js";
import type { RunConfig } from "./config.js";
import { formatShard } from "./shard.js";
import type { SelectionCounts } from "./summary.js";

/** `engine`: what the opened LLM stack runs on (absent when nothing is to be done). */
export function formatBanner(
  dir: string,
  config: RunConfig,
  selection: SelectionCounts,
  engine?: LlmStackDescription,
): string {
  const s = selection;
  const how = `${config.strategy}, stage ${config.stage}; concurrency ${config.run.concurrency}`;
  const model =
    config.engine === "llama-cpp"
      ? `\n  model ${config.model.servedModel} on the in-process engine (no server; --base-url URL to use one); ${how}` +
        (engine && engine.engine === "llama-cpp" ? `\n  ${formatEngineBanner(engine, engine.origin)}` : "")
      : `\n  model ${config.model.servedModel} at ${config.server.baseUrls.join(", ")}; ${how}, max requests ${config.server.maxRequests}`;
  return (
    `sra generate: ${s.todo} to do of ${s.selected} selected` +
    (config.input.shard ? ` (shard ${formatShard(config.input.shard)})` : "") +
    `; ${s.alreadyDone} already done, ${s.failedEarlier} failed earlier` +
    (s.withoutPlan > 0 ? `, ${s.withoutPlan} without a plan yet` : "") +
    (s.invalidSkipped > 0 ? `; ${s.invalidSkipped} invalid records skipped` : "") +
    model +
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
