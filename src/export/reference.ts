/**
 * The reference implementation's published data (yuanye1010/SRA-MCTS `data/`, JSON Lines of
 * `{question, solution}` despite the .json name) comes in three shapes, one per pipeline stage:
 *
 * - reasoning (`mcts-filtered-*`): question = the problem; solution = the plan only (`Step n:` lines).
 * - nl2sl (`mcts-trans-*`): question = `Question: <problem>\nSolution: \n<plan>` (sometimes with `### `
 *   before the labels); solution = the model's reply with the code (prose, a ```python block, notes).
 * - piped (`mcts-piped-*`, the training set): question = an instruction line, sometimes
 *   `Here's the question:`, then the problem; solution = the plan lines, then the code reply.
 *
 * `parseReferenceRow` recovers the bare problem, any embedded instruction, the plan steps and the main
 * code block, whatever the shape, so the rows go through the same export as our own samples.
 */
import { extractMainCode } from "./code-blocks.js";

export interface ReferenceRow {
  question: string;
  solution: string;
}

export type ReferenceShape = "plan-only" | "plan-in-question" | "instruction-and-problem" | "problem";

export interface ParsedReference {
  /** The problem text, without an embedded instruction or `Question:` label. */
  question: string;
  /** The instruction the row had before its problem (piped shape), or null. */
  embeddedInstruction: string | null;
  steps: string[];
  /** The main code block of the solution, or null when it has none. */
  code: string | null;
  /** The published solution, unchanged. */
  solution: string;
  /**
   * The row's whole answer as published: the solution, with the plan put first for the nl2sl shape
   * (whose plan sits in the question), as the piped file assembles it.
   */
  answer: string;
  shape: ReferenceShape;
}

const PLAN_IN_QUESTION =
  /^(?:#{1,6}[ \t]*)?Question:[ \t]*([\s\S]*?)\n(?:#{1,6}[ \t]*)?Solution:[ \t]*\n([\s\S]*)$/;
const STEP_LINE = /^Step (\d+):[ \t]*(.*)$/;
const HERES_THE_QUESTION = /^[ \t]*Here(?:'|’)?s the question:?[ \t]*\r?\n/i;

/**
 * An instruction line before the problem, as the piped data has: one line, not too long, that asks
 * for Python code. No LeetCode problem's first line reads like that (checked on all three files).
 */
function looksLikeInstruction(firstLine: string): boolean {
  return (
    firstLine.length <= 400 && /\bpython\b/i.test(firstLine) && /\b(?:code|implement\w*)\b/i.test(firstLine)
  );
}

/** The leading `Step n: ...` lines of a text (blank lines between them allowed) and the rest. */
export function splitLeadingSteps(text: string): { steps: string[]; rest: string } {
  const lines = text.split(/\r?\n/);
  const steps: string[] = [];
  let i = 0;
  let consumed = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const m = STEP_LINE.exec(line.trim());
    if (!m) break;
    steps.push(m[2]!.trim());
    consumed = i + 1;
  }
  return { steps, rest: lines.slice(consumed).join("\n") };
}

export function parseReferenceRow(row: ReferenceRow): ParsedReference {
  const { solution } = row;
  const question = row.question.replace(/\r\n/g, "\n");

  const inQuestion = PLAN_IN_QUESTION.exec(question);
  if (inQuestion) {
    const { steps } = splitLeadingSteps(inQuestion[2]!);
    const plan = inQuestion[2]!.trim();
    return {
      question: inQuestion[1]!.trim(),
      embeddedInstruction: null,
      steps,
      code: extractMainCode(solution),
      solution,
      answer: plan === "" ? solution : `${plan}\n\n${solution.trim()}`,
      shape: "plan-in-question",
    };
  }

  const { steps, rest } = splitLeadingSteps(solution);
  const newline = question.indexOf("\n");
  const firstLine = newline < 0 ? question : question.slice(0, newline);
  if (newline > 0 && looksLikeInstruction(firstLine)) {
    const problem = question.slice(newline + 1).replace(HERES_THE_QUESTION, "");
    return {
      question: problem.trim(),
      embeddedInstruction: firstLine.trim(),
      steps,
      code: extractMainCode(rest),
      solution,
      answer: solution,
      shape: "instruction-and-problem",
    };
  }

  const code = extractMainCode(rest);
  return {
    question: question.trim(),
    embeddedInstruction: null,
    steps,
    code,
    solution,
    answer: solution,
    shape: steps.length > 0 && code === null && rest.trim() === "" ? "plan-only" : "problem",
  };
}
