/**
 * Read a 0-10 score from an evaluator's reply. Small models answer messily (paper, section 7):
 * "Score: 7", "**Score:** 7/10", "I'd rate it 7 out of 10", a bare "7", or a paragraph with several
 * numbers. The rules, in order of trust:
 *
 * 1. labelled: a number after the word score/rating/grade ("Score: 7", "**Score:** 7/10",
 *    "score = 7", "Final score is 7.5", "Score (0-10): 8", "Rating: 80%"). With several, the LAST
 *    one wins: models often grade criteria first and give the overall score at the end.
 *    A denominator ("/10", "out of 5", "/100", "%") rescales to 0-10.
 * 2. fraction: an unlabelled "7/10" or "7 out of 10" (only out of 10, to avoid "1/2 of the array"); last wins.
 * 3. bare: the whole reply, or its first or last line, is just a number (markdown and a period allowed).
 *
 * The chosen candidate must lie in [0, 10]; otherwise the reply is rejected (the caller asks again)
 * rather than falling back to a weaker form that would likely pick an unrelated number.
 */
import type { ScoreForm } from "../types.js";
import { excerpt, stripThinking, unixLines } from "./text.js";

export type ScoreParse = { value: number; form: ScoreForm } | { error: string };

const NUM = String.raw`([+-]?\d+(?:\.\d+)?)`;
const LABEL = String.raw`\b(?:score|rating|grade)s?\b`;
/** "Score (0-10): 7" and "Score [0 to 10]: 7": a range note between the label and the value. */
const RANGE_NOTE = String.raw`(?:[^\S\n]*[(\[][^\S\n]*0?[^\S\n]*(?:-|–|to)[^\S\n]*10[^\S\n]*[)\]])?`;
/** Up to 30 characters without digits, then a separator: "score for this step is 7". */
const SEPARATOR = String.raw`(?:[^\n\d]{0,30}?(?:[:：=]|\bis\b|\bof\b|[-–—]))?`;
const OPENERS = String.raw`[\s*_\[(\`"']*`;
const DENOMINATOR = String.raw`(?:[^\S\n]*(?:\/|\bout\s+of\b|\bof\b)[^\S\n]*(\d+(?:\.\d+)?)|[^\S\n]*(%))?`;

const LABELLED = new RegExp(`${LABEL}${RANGE_NOTE}${SEPARATOR}${OPENERS}${NUM}${DENOMINATOR}`, "gi");
const FRACTION = /(?<![\d.\w])(\d+(?:\.\d+)?)[^\S\n]*(?:\/|\bout\s+of\b)[^\S\n]*10(?!\.?\d)/gi;
const BARE_LINE = new RegExp(String.raw`^[\s*_\`"'\[(#>]*${NUM}[\s*_\`"'\])]*[.!]?\s*$`);

function inRange(value: number, form: ScoreForm, raw: string): ScoreParse {
  if (!Number.isFinite(value) || value < 0 || value > 10) {
    return { error: `score ${raw} is out of range 0-10` };
  }
  return { value, form };
}

function scaled(num: string, denominator: string | undefined, percent: string | undefined): number {
  const n = Number(num);
  if (percent) return n / 10;
  if (denominator === undefined) return n;
  const d = Number(denominator);
  return d > 0 ? (n / d) * 10 : Number.NaN;
}

export function parseScore(text: string): ScoreParse {
  const reply = unixLines(stripThinking(text));

  const labelled = Array.from(reply.matchAll(LABELLED));
  const lastLabelled = labelled.at(-1);
  if (lastLabelled) {
    const [whole, num, denominator, percent] = lastLabelled;
    return inRange(scaled(num as string, denominator, percent), "labelled", whole.trim());
  }

  const lastFraction = Array.from(reply.matchAll(FRACTION)).at(-1);
  if (lastFraction) return inRange(Number(lastFraction[1]), "fraction", lastFraction[0].trim());

  const lines = reply
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  for (const line of [lines[0], lines.at(-1)]) {
    const m = line === undefined ? null : BARE_LINE.exec(line);
    if (m) return inRange(Number(m[1]), "bare", m[1] as string);
  }
  return { error: reply.trim() === "" ? "empty reply" : `no score found in "${excerpt(reply, 80)}"` };
}
