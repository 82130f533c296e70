/** Reading run files in tests: every line must parse, or all but a torn last line (a crash's leftover). */
import { readFileSync } from "node:fs";
import { expect } from "vitest";

/**
 * Every line of a JSONL file, parsed; a line that does not parse, or a file that does not end with
 * a newline, fails the test. A missing file is empty.
 */
export function readJsonlStrict<T = Record<string, unknown>>(file: string): T[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  if (text !== "") expect(text.endsWith("\n"), `${file} ends with a newline`).toBe(true);
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new Error(`${file}:${i + 1} does not parse: ${l.slice(0, 120)}`);
      }
    });
}

/** All lines but a possibly torn last one (a SIGKILL mid-write), parsed. */
export function readJsonlTolerant(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const lines = text.split("\n");
  // The last piece is "" for a whole file, or an unterminated tail: what a crash can leave, not counted.
  lines.pop();
  return lines.filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
}
