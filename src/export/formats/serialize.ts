/** Byte-stable serializations: the same records always give the same text (key order as built). */

/** A JSON array, two-space indented, ending in a newline (what LLaMA-Factory's json loader reads). */
export function renderJsonArray(records: readonly unknown[]): string {
  return `${JSON.stringify(records, null, 2)}\n`;
}

/** One compact JSON object per line, each ending in a newline. */
export function renderJsonLines(records: readonly unknown[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join("");
}
