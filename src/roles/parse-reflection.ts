/**
 * Read a reflection (paper eq. 5): either the `<end>` tag (the steps so far solve the problem) or a
 * short thought that guides the next step.
 *
 * `<end>` is recognised in messy forms: any case, spaces inside the brackets (`< end >`), a slash
 * (`</end>`, `<end/>`), wrapped in quotes, backticks or bold, or with text around it ("The plan is
 * complete. <end>"). A reply that is just the word "end" also counts. An occurrence right after a
 * negation ("not yet <end>", "I will not output <end>", "instead of <end>") does not.
 * When the reply is not `<end>`, the thought is the reply cleaned like a step (no code, no labels,
 * one line), without any stray tags.
 */
import { cleanStep } from "./clean-step.js";
import { stripThinking } from "./text.js";

export interface Reflection {
  end: boolean;
  thought: string;
}

const END_TAG = /<\s*\/?\s*end\s*\/?\s*>/gi;
const NEGATED =
  /\b(?:not|never|don't|do not|won't|will not|cannot|can't|shouldn't|should not|instead of|rather than|without)\s+(?:yet\s+)?(?:(?:output|outputting|write|writing|say|saying|reply|replying|respond|print|use|emit|give|add|adding)\s+)?(?:(?:with|an?|the)\s+)*["'`*([]*$/i;

/** Whether `tag` (a global regex) occurs in `reply` other than right after a negation. */
export function hasUnnegatedTag(reply: string, tag: RegExp): boolean {
  for (const m of reply.matchAll(tag)) {
    const before = reply.slice(Math.max(0, m.index - 80), m.index);
    const sentence = before.split(/[.!?\n]/).at(-1) ?? "";
    if (!NEGATED.test(sentence)) return true;
  }
  return false;
}

export function parseReflection(text: string): Reflection {
  const reply = stripThinking(text);
  if (hasUnnegatedTag(reply, END_TAG)) return { end: true, thought: "<end>" };
  if (/^[\s"'`*_[(]*end[\s"'`*_\]).!]*$/i.test(reply)) return { end: true, thought: "<end>" };
  return { end: false, thought: cleanStep(reply.replace(END_TAG, " ")).step };
}
