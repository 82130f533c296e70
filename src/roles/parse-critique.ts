/**
 * Read a critique (prompts/critique.md): `<approved>` (nothing to fix) or the list of problems. The
 * tag is read as leniently as reflection's `<end>`: any case, spaces or a slash inside the brackets,
 * text around it; not right after a negation ("I cannot give <approved> yet"). A reply that is just
 * the word "approved" counts too. The feedback is the reply without thinking and stray tags, trimmed
 * and capped (a rambling critic must not blow up the reviser's prompt).
 */
import { hasUnnegatedTag } from "./parse-reflection.js";
import { stripThinking } from "./text.js";

const APPROVED_TAG = /<\s*\/?\s*approved?\s*\/?\s*>/gi;
/** Longest feedback passed on, in characters (about 500 tokens). */
export const MAX_FEEDBACK_CHARS = 2000;

export function parseCritique(text: string): { approved: boolean; critique: string } {
  const reply = stripThinking(text);
  if (hasUnnegatedTag(reply, APPROVED_TAG) || /^[\s"'`*_[(]*approved?[\s"'`*_\]).!]*$/i.test(reply)) {
    return { approved: true, critique: "" };
  }
  const critique = reply.replace(APPROVED_TAG, " ").trim();
  return {
    approved: false,
    critique:
      critique.length > MAX_FEEDBACK_CHARS ? `${critique.slice(0, MAX_FEEDBACK_CHARS - 1)}…` : critique,
  };
}
