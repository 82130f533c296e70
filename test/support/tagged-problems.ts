/**
 * Problems whose question carries a tag that a fake model's script keys on, and the fake server's
 * model name. Free of vitest, so scripts/ can use it too.
 */
import * as fsp from "node:fs/promises";

/** The served model of the fake server (an ad-hoc name: no preset, system role on). */
export const MODEL = "fake/coder-1b";

/** Problems whose question carries a tag a fault script can key on: "Problem <tag>: ...". */
export function taggedQuestion(tag: string): string {
  return `Problem ${tag}: given a list of integers, return the length of the longest run of equal values.`;
}

/** The tag of the problem a prompt is about (every role's prompt contains the question). */
export function tagOf(prompt: string): string | undefined {
  return /Problem ([\w.-]+):/.exec(prompt)?.[1];
}

export async function writeProblems(file: string, tags: readonly string[]): Promise<string> {
  await fsp.writeFile(
    file,
    tags.map((tag) => `${JSON.stringify({ id: tag, question: taggedQuestion(tag) })}\n`).join(""),
  );
  return file;
}
