/** Small text helpers shared by the reply parsers. */

/**
 * Remove `<think>...</think>` blocks (reasoning models put their scratchpad there) and an unclosed
 * trailing `<think>` (a reply cut off while thinking): what we parse is the answer, not the musing.
 */
export function stripThinking(text: string): string {
  return text.replace(/<think>[\s\S]*?<\/think>/gi, "").replace(/<think>[\s\S]*$/i, "");
}

/** Normalise line endings to "\n". */
export function unixLines(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

/** A short one-line excerpt of a reply for error messages. */
export function excerpt(text: string, max = 160): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
