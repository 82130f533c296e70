/**
 * Split a whole plan written in one generation (the CoT baseline) into steps.
 *
 * Step headers, in order of preference: "Step n:" lines (any markdown around them); otherwise
 * top-level numbered items ("1." / "2)"); otherwise top-level bullets; otherwise paragraphs. Text
 * before the first header ("Here is the plan:") is dropped, and so is prose after a blank line that
 * follows a step's text ("This plan runs in O(n)."), unless it is indented or a list item (then it
 * belongs to the step). Each step is cleaned like a proposed step (cleanStep): no code, one line.
 */
import { cleanStep, removeCode } from "./clean-step.js";
import { stripThinking, unixLines } from "./text.js";

export interface ParsedPlan {
  steps: string[];
  /** The steps came from "Step n" or numbered lines (false: bullets or paragraphs). */
  numbered: boolean;
  strippedCode: boolean;
}

const STEP_N = /^[-*>#\s]*(?:\*\*|__)?\s*step\s*\d+\s*(?:\*\*|__)?\s*(?:[:.)\-–—]|$)/i;
const NUMBERED = /^[ \t]{0,3}(?:\*\*|__)?\d+[.)]\s+/;
const BULLET = /^[ \t]{0,1}[-*•]\s+/;

function segmentsAt(lines: string[], isHeader: (l: string) => boolean): string[][] {
  const segments: string[][] = [];
  let current: string[] | undefined;
  let blankSeen = false;
  for (const line of lines) {
    if (isHeader(line)) {
      current = [line];
      segments.push(current);
      blankSeen = false;
      continue;
    }
    if (!current) continue;
    if (line.trim() === "") {
      blankSeen = true;
      continue;
    }
    const hasContent = current.some((l, i) => (i === 0 ? cleanStep(l).step !== "" : l.trim() !== ""));
    if (blankSeen && hasContent && !/^[ \t]/.test(line) && !/^[-*•]\s|^\d+[.)]\s/.test(line)) {
      current = undefined; // prose after the step: an epilogue or an aside
      continue;
    }
    current.push(line);
    blankSeen = false;
  }
  return segments;
}

function paragraphs(lines: string[]): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (line.trim() === "") {
      if (current.length > 0) out.push(current);
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

export function parsePlanSteps(text: string): ParsedPlan {
  const { lines, stripped } = removeCode(unixLines(stripThinking(text)).split("\n"));
  let segments: string[][];
  let numbered = true;
  if (lines.some((l) => STEP_N.test(l))) segments = segmentsAt(lines, (l) => STEP_N.test(l));
  else if (lines.some((l) => NUMBERED.test(l))) segments = segmentsAt(lines, (l) => NUMBERED.test(l));
  else {
    numbered = false;
    segments = lines.some((l) => BULLET.test(l))
      ? segmentsAt(lines, (l) => BULLET.test(l))
      : paragraphs(lines).filter((p) => !/:\s*$/.test((p.at(-1) as string).trim())); // "Here is my plan:"
  }
  const steps = segments.map((s) => cleanStep(s.join("\n")).step).filter((s) => s !== "");
  return { steps, numbered, strippedCode: stripped };
}
