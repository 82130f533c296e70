/**
 * Some chat templates have no system role: Gemma's raises "System role not supported", so vLLM answers
 * such a request with 400. For those models the system text goes into the first user turn instead,
 * which is also what Gemma's own docs recommend.
 */
import type { ChatMessage } from "./types.js";

/** Separates the folded system text from the user's own text. */
export const FOLD_SEPARATOR = "\n\n";

/**
 * Messages with every system message removed and their text (in order, blank-line separated)
 * put before the first user message's text. Pure: the input is not changed.
 * - No system message: the same messages (a copy).
 * - No user message, or an assistant turn before the first user turn: the system text becomes a
 *   new first user turn, so the conversation still starts with the user as these templates require.
 */
export function foldSystemIntoUser(messages: readonly ChatMessage[]): ChatMessage[] {
  const systemText = messages
    .filter((m) => m.role === "system")
    .map((m) => m.content)
    .filter((c) => c.trim() !== "");
  const rest = messages.filter((m) => m.role !== "system").map((m) => ({ ...m }));
  if (systemText.length === 0) return rest;
  const prefix = systemText.join(FOLD_SEPARATOR);
  const first = rest[0];
  if (first && first.role === "user") {
    first.content = first.content === "" ? prefix : `${prefix}${FOLD_SEPARATOR}${first.content}`;
    return rest;
  }
  return [{ role: "user", content: prefix }, ...rest];
}
