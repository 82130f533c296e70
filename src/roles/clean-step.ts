/**
 * Turn a proposer's reply into one natural-language plan step (the paper's plans hold no code,
 * "except for necessary formulas"). What is removed, and why:
 *
 * - code: fenced blocks (closed or cut off), inline ```...```, and bare Python runs (a def/class/import
 *   line and the indented lines under it). Inline `identifiers` and formulas stay.
 * - a "Step n:" / "Next step:" / "**Step 3:**" / "### Step 3" header: the plan is numbered when it is
 *   formatted, and a number from the model would be wrong or duplicated.
 * - everything from a second step header on: the prompt asks for ONE step; a model that writes a whole
 *   plan gives us its first step (`extraSteps` is true).
 * - chatter: "Sure!", "Here is the next step:", "Let me know if ...", labels like "Thought:" or
 *   "Analysis:", special tokens (<end>, <|eot_id|>) and a list marker at the start.
 *
 * The step is returned on one line (lines joined by spaces): a plan is `Step i: ...` lines.
 */
import { stripThinking, unixLines } from "./text.js";

export interface CleanedStep {
  step: string;
  /** Code was removed from the reply. */
  strippedCode: boolean;
  /** The reply held more than one step; only the first was kept. */
  extraSteps: boolean;
}

const FENCE_LINE = /^\s*(`{3,}|~{3,})/;
const BARE_CODE_START = /^(?:def\s+\w+\s*\(|class\s+\w+\s*[(:]|import\s+\w|from\s+[\w.]+\s+import\b|>>>\s)/;
/** "Step 3:", "**Step 3:**", "### Step 3 -", "Next step:", "- **Next Step**:", "Step 3" alone on a line. */
export const STEP_HEADER =
  /^[-*>#\s]*(?:\*\*|__)?\s*(?:(?:the\s+)?next\s+step|step\s*\d+)\s*(?:\*\*|__)?\s*(?:[:.)\-–—]|$)\s*(?:\*\*|__)?\s*/i;
const LABEL =
  /^(?:\*\*|__)?\s*(?:thought|analysis|action|answer|output|your output|reflection|hint|suggestion|idea)\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*/i;
const CHATTER_ONLY = /^(?:sure|certainly|of course|okay|ok|great|alright|absolutely)[\s!.,]*$/i;
const LEAD_IN =
  /^(?:(?:sure|certainly|of course|okay|ok|great|alright|absolutely)[!.,]?\s*)?(?:here(?:'s| is| are)\b|below is\b|the next step (?:is|would be)\b|my (?:next )?step (?:is|would be)\b)[^:\n]{0,60}:\s*/i;
const SIGN_OFF = /^(?:let me know|i hope|hope this helps|feel free|please let me)/i;
const SPECIAL_TOKENS = /<\|[^|>]*\|>|<\/?s>|<\s*\/?\s*end\s*\/?\s*>/gi;
const LIST_MARKER = /^(?:[-*•]|\d+[.)])\s+/;

/** Drop code from reply lines; returns the remaining lines and whether anything was dropped. */
export function removeCode(lines: readonly string[]): { lines: string[]; stripped: boolean } {
  const out: string[] = [];
  let stripped = false;
  let fence: string | undefined;
  let inBare = false;
  for (const raw of lines) {
    if (fence !== undefined) {
      const m = FENCE_LINE.exec(raw);
      if (
        m &&
        (m[1] as string)[0] === fence[0] &&
        raw.trim().length >= fence.length &&
        /^(`+|~+)$/.test(raw.trim())
      ) {
        fence = undefined;
      }
      continue;
    }
    const open = FENCE_LINE.exec(raw);
    if (open) {
      stripped = true;
      // A one-line ```code``` span closes on the same line.
      const rest = raw.trim().slice((open[1] as string).length);
      if (!rest.includes(open[1] as string)) fence = open[1] as string;
      continue;
    }
    if (inBare) {
      if (raw.trim() === "" || /^[ \t]/.test(raw)) continue;
      inBare = false;
    }
    if (BARE_CODE_START.test(raw.trim()) && !/^[ \t]{4,}/.test(raw) && !/^\s*[-*•]/.test(raw)) {
      stripped = true;
      inBare = /:\s*$/.test(raw.trim()) || /^def|^class/.test(raw.trim());
      continue;
    }
    const inline = raw.replace(/```[^`]*```/g, " ");
    if (inline !== raw) stripped = true;
    out.push(inline);
  }
  return { lines: out, stripped };
}

function tidyLine(line: string): string {
  let t = line.replace(SPECIAL_TOKENS, " ").trim();
  t = t.replace(LABEL, "");
  t = t.replace(LIST_MARKER, "");
  return t.trim();
}

export function cleanStep(text: string): CleanedStep {
  const { lines: noCode, stripped } = removeCode(unixLines(stripThinking(text)).split("\n"));
  let lines = noCode;

  let extraSteps = false;
  const headers = lines.flatMap((l, i) => (STEP_HEADER.test(l) ? [i] : []));
  if (headers.length > 0) {
    const first = headers[0] as number;
    const second = headers[1];
    const body = lines.slice(first, second);
    body[0] = (body[0] as string).replace(STEP_HEADER, "");
    if (second !== undefined) {
      extraSteps = lines.slice(second).some((l) => l.replace(STEP_HEADER, "").trim() !== "");
    }
    // Chatter before the header ("Sure! Here is the next step:") goes with it.
    lines = body;
  }

  let parts = lines.map(tidyLine).filter((l) => l !== "");
  while (parts.length > 0 && CHATTER_ONLY.test(parts[0] as string)) parts.shift();
  if (parts.length > 0) {
    parts[0] = (parts[0] as string).replace(LEAD_IN, "");
    parts[0] = (parts[0] as string).replace(STEP_HEADER, "");
    parts[0] = tidyLine(parts[0] as string);
  }
  while (parts.length > 0 && SIGN_OFF.test(parts.at(-1) as string)) parts.pop();
  parts = parts.filter((l) => l !== "");

  let step = parts.join(" ").replace(/\s+/g, " ").trim();
  // A step wrapped whole in bold or quotes.
  for (const [open, close] of [
    ["**", "**"],
    ['"', '"'],
    ["“", "”"],
  ] as const) {
    if (step.length > open.length + close.length && step.startsWith(open) && step.endsWith(close)) {
      const inner = step.slice(open.length, step.length - close.length);
      if (!inner.includes(open) && !inner.includes(close)) step = inner.trim();
    }
  }
  return { step, strippedCode: stripped, extraSteps };
}
