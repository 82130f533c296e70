/**
 * Prefix share: how much of each prompt repeats the start of an earlier prompt of the same problem
 * (what a server's prefix cache can reuse).
 */
import type { RecordedCall } from "../../test/support/fake-openai-server.js";

/** The text a server tokenizes for a chat request (roles and contents in order), minus the template. */
export function promptText(call: RecordedCall): string {
  let s = "";
  for (const m of call.body.messages) s += `<${m.role}>\n${typeof m.content === "string" ? m.content : ""}\n`;
  return s;
}

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

export interface PrefixShare {
  /** Share of prompt characters that repeat an earlier prompt's prefix within the same problem. */
  share: number;
  /** The same, counting only whole 16-token (~64-character) blocks, as a paged KV cache reuses them. */
  blockShare: number;
  /**
   * Also counting earlier prompts of other problems (a server's cache is shared by the whole run):
   * the system message and the "Problem:" label of every role are the same for every problem. A lower
   * bound: it compares with the previous prompt of the same role only.
   */
  runShare: number;
  promptChars: number;
  byPurpose: Record<
    string,
    { prompts: number; share: number; blockShare: number; runShare: number; meanChars: number }
  >;
}

const BLOCK_CHARS = 64;

export function computePrefixShare(
  calls: RecordedCall[],
  problemOf: (prompt: string) => string,
): PrefixShare {
  const seen = new Map<string, string[]>();
  const lastOfPurpose = new Map<string, string>();
  const acc = new Map<
    string,
    { prompts: number; chars: number; shared: number; blocks: number; run: number }
  >();
  for (const c of [...calls].sort((a, b) => a.index - b.index)) {
    if (c.status !== 200) continue;
    const text = promptText(c);
    const key = problemOf(text);
    const earlier = seen.get(key) ?? [];
    if (earlier.length === 0) seen.set(key, earlier);
    let best = 0;
    for (let j = 0; j < earlier.length && best < text.length; j++) {
      best = Math.max(best, commonPrefix(text, earlier[j] as string));
    }
    earlier.push(text);
    const previous = lastOfPurpose.get(c.purpose);
    const run = Math.max(best, previous === undefined ? 0 : commonPrefix(text, previous));
    lastOfPurpose.set(c.purpose, text);
    const a = acc.get(c.purpose) ?? { prompts: 0, chars: 0, shared: 0, blocks: 0, run: 0 };
    a.prompts++;
    a.chars += text.length;
    a.shared += best;
    a.blocks += Math.floor(best / BLOCK_CHARS) * BLOCK_CHARS;
    a.run += run;
    acc.set(c.purpose, a);
  }
  const byPurpose: PrefixShare["byPurpose"] = {};
  const sum = { chars: 0, shared: 0, blocks: 0, run: 0 };
  for (const [purpose, a] of acc) {
    const chars = Math.max(1, a.chars);
    byPurpose[purpose] = {
      prompts: a.prompts,
      share: a.shared / chars,
      blockShare: a.blocks / chars,
      runShare: a.run / chars,
      meanChars: Math.round(a.chars / Math.max(1, a.prompts)),
    };
    sum.chars += a.chars;
    sum.shared += a.shared;
    sum.blocks += a.blocks;
    sum.run += a.run;
  }
  const chars = Math.max(1, sum.chars);
  return {
    share: sum.shared / chars,
    blockShare: sum.blocks / chars,
    runShare: sum.run / chars,
    promptChars: sum.chars,
    byPurpose,
  };
}
