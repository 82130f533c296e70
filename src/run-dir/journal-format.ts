/**
 * The request journal's file format (src/run-dir/journal.ts), pure: the key of a request, a unit's
 * header line, and parsing a unit's file back into its replies.
 *
 *   {"sraJournal":1,"unit":"two-sum"}
 *   {"k":"<request key>","n":0,"t":1234.5,"r":{"text":"...","finishReason":"stop","promptTokens":512,"completionTokens":40}}
 */
import { createHash } from "node:crypto";
import type { CompletionRequest, CompletionResult } from "../llm/types.js";
import { parseJson } from "../util/parse-json.js";

export const JOURNAL_VERSION = 1;

/** One reply: its request's key and occurrence, the unit's clock when it came (ms), the reply. */
export interface JournalEntry {
  k: string;
  n: number;
  t: number;
  r: CompletionResult;
}

/**
 * The key of a request: the model, the purpose, every sampling parameter that changes the reply and
 * the messages, hashed (132 bits of sha256).
 */
export function requestKey(model: string, r: CompletionRequest): string {
  const params = JSON.stringify([
    model,
    r.purpose,
    r.temperature ?? null,
    r.topP ?? null,
    r.maxTokens ?? null,
    r.stop ?? null,
    r.seed ?? null,
    r.guidedRegex ?? null,
  ]);
  // Length-prefixed, so no content can pass for a message boundary; one update (each costs a call).
  let text = params;
  for (const m of r.messages) text += `\n${m.role} ${m.content.length}\n${m.content}`;
  return createHash("sha256").update(text).digest("base64url").slice(0, 22);
}

/** The first line of a unit's file. */
export function headerLine(unitId: string): string {
  return `${JSON.stringify({ sraJournal: JOURNAL_VERSION, unit: unitId })}\n`;
}

/** The unit a header line names, or undefined when the line is not a header of this version. */
export function headerUnit(line: string): string | undefined {
  const parsed = parseJson(line);
  const h = parsed.ok ? (parsed.value as { sraJournal?: unknown; unit?: unknown } | null) : null;
  return h?.sraJournal === JOURNAL_VERSION && typeof h.unit === "string" ? h.unit : undefined;
}

/** Only the fields a reply is made of (a client may hang more on its results). */
export function replyOf(r: CompletionResult): CompletionResult {
  return {
    text: r.text,
    finishReason: r.finishReason,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    ...(r.usageEstimated ? { usageEstimated: true } : {}),
  };
}

function isReply(v: unknown): v is CompletionResult {
  const r = v as Partial<CompletionResult> | null;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.text === "string" &&
    (r.finishReason === null || typeof r.finishReason === "string") &&
    typeof r.promptTokens === "number" &&
    typeof r.completionTokens === "number"
  );
}

function isEntry(v: unknown): v is JournalEntry {
  const e = v as Partial<JournalEntry> | null;
  return (
    typeof e === "object" &&
    e !== null &&
    typeof e.k === "string" &&
    Number.isInteger(e.n) &&
    typeof e.t === "number" &&
    isReply(e.r)
  );
}

/** What a unit's file held: its replies by key and occurrence, or why it cannot be used. */
export type ParsedJournal =
  | { ok: true; entries: Map<string, JournalEntry>; wholeBytes: number }
  | { ok: false; why: string };

/**
 * Parse a unit's file. `wholeBytes` is where its whole lines end: a torn last line (no newline, or not
 * an entry) is cut back to it. A damaged line before the last, or a header of another unit, makes the
 * file unusable.
 */
export function parseJournal(bytes: Buffer, unitId: string): ParsedJournal {
  const end = bytes.lastIndexOf(0x0a) + 1;
  const lines = bytes.subarray(0, end).toString("utf8").split("\n");
  lines.pop();
  if (lines.length === 0) return { ok: true, entries: new Map(), wholeBytes: 0 };
  if (headerUnit(lines[0] as string) !== unitId) {
    return { ok: false, why: "its first line is not this unit's journal header" };
  }
  const entries = new Map<string, JournalEntry>();
  let wholeBytes = Buffer.byteLength(`${lines[0]}\n`);
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i] as string;
    const parsed = parseJson(text);
    if (!parsed.ok || !isEntry(parsed.value)) {
      // Only the last line can be a crash's leftover; anything else means the file was damaged.
      if (i === lines.length - 1) break;
      return { ok: false, why: `line ${i + 1} is not a journal entry` };
    }
    entries.set(`${parsed.value.k}#${parsed.value.n}`, parsed.value);
    wholeBytes += Buffer.byteLength(`${text}\n`);
  }
  return { ok: true, entries, wholeBytes };
}
