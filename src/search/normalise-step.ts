/**
 * A canonical form of a step for the redundancy check (paper, section 3.1.2: "If any output is found
 * to be repetitive, the generation process will be restarted"). Two steps are redundant when their
 * canonical forms are equal: same words in the same order once case, markdown, punctuation, a
 * "Step n:" prefix and leading connectives ("First,", "Then", "Next") are ignored. Arithmetic signs
 * are kept, so "dp[i-1]" and "dp[i+1]" stay different.
 */

const STEP_PREFIX = /^\s*(?:(?:the\s+)?next\s+step|step\s*\d*)\s*[:.)\-–—]\s*/;
/**
 * Leading connectives: ordinals only before a comma ("First, sort" but not "First idea" or
 * "Second pass"), the others also without one ("Then sort").
 */
const CONNECTIVES =
  /^(?:(?:first|firstly|second|secondly|third|thirdly|lastly|finally|next|then|now|also|so|afterwards|after that)\s*,\s*|(?:then|next|now|also|so|afterwards|after that)\s+)+/;

export function normaliseStep(text: string): string {
  const lowered = text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[*_`#]/g, " ")
    .trim()
    .replace(STEP_PREFIX, "")
    .replace(CONNECTIVES, "");
  return lowered
    .replace(/[^\p{L}\p{N}\s+\-=<>/%^]/gu, " ")
    .split(/\s+/)
    .filter((w) => w !== "")
    .join(" ");
}
