/** The benchmark's inputs beyond the paper's problem file. */
import { createWriteStream } from "node:fs";
import { readQuestions } from "./model.js";

/** `count` problems: the LeetCode questions in turn, each with a variant suffix so every id differs. */
export async function writeSyntheticProblems(source: string, file: string, count: number): Promise<void> {
  const questions = readQuestions(source);
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++) {
    const q = questions[i % questions.length] as string;
    const line = `${JSON.stringify({ id: `synthetic-${i}`, question: `${q.trimEnd()}\n\n(Variant ${i}.)` })}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}
