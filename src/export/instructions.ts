/**
 * The instruction put before each question in an exported dataset. The paper's published data puts one
 * of a few paraphrased instructions before every question; these are our own paraphrases of that idea,
 * one set asking for a plan then code, one (for the --no-plan ablation) asking for code only. Which one
 * a sample gets is drawn from `createRng(seed).fork(sample.id)`, so it is stable per sample whatever
 * the order or the number of samples exported.
 */
import type { Rng } from "../util/rng.js";

/** Instructions for responses that are a plan followed by code (paper section 3.3). */
export const PLAN_INSTRUCTIONS: readonly string[] = [
  "Work out a step-by-step plan for the problem below, explaining the reasoning behind each step, and then write Python code that carries the plan out.",
  "Before writing any code, break this problem into a short sequence of steps and say why each one is needed. Finish with a Python implementation of those steps.",
  "Read the problem carefully, outline your approach as numbered steps, and then give the Python solution that follows that outline.",
  "Plan first, code second: describe in plain language how to solve the problem, one step at a time, then implement the solution in Python.",
  "Think the problem through and lay out the key steps of a solution, with a short justification for each. Then provide Python code implementing your plan.",
  "Explain how you would solve the following problem as a series of clear steps, and afterwards write the Python code that realizes them.",
];

/** Instructions for code-only responses (the ablation without a natural-language plan, paper section 6). */
export const CODE_INSTRUCTIONS: readonly string[] = [
  "Write a Python solution to the following problem.",
  "Solve the problem below in Python and reply with the code.",
  "Implement a Python function or class that solves this problem.",
  "Give a correct and efficient Python implementation for the problem below.",
  "Provide Python code that solves the following problem.",
  "Write Python code for the task described below.",
];

/** What `--instruction-set` resolved to: the built-in sets, no instruction, or a user's list. */
export type InstructionSet =
  | { kind: "default" }
  | { kind: "none" }
  | { kind: "file"; file: string; instructions: readonly string[] };

/** The instructions a set offers for plan (`withPlan`) or code-only responses; empty for "none". */
export function instructionsFor(set: InstructionSet, withPlan: boolean): readonly string[] {
  switch (set.kind) {
    case "none":
      return [];
    case "default":
      return withPlan ? PLAN_INSTRUCTIONS : CODE_INSTRUCTIONS;
    case "file":
      // A user's file is used as given for both modes: they wrote it for the dataset they are making.
      return set.instructions;
  }
}

/** One instruction per non-blank line (trimmed); a UTF-8 BOM and CRLF line ends are accepted. */
export function parseInstructionFile(text: string): string[] {
  return text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** The instruction for one sample, or null when the set is empty. `rng` is already forked per sample. */
export function pickInstruction(rng: Rng, instructions: readonly string[]): string | null {
  if (instructions.length === 0) return null;
  return rng.pick(instructions);
}
