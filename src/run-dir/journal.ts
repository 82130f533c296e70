/**
 * The request journal: every reply the model gives a unit of work (a problem of `generate`, a task of
 * `eval`) is kept in the run directory until the unit's result is written, so a run that is killed
 * (Ctrl-C, SIGKILL, a preempted job) loses only the requests that were in flight. A resumed unit replays
 * its replies without calling the server and goes on from where it stopped; a seeded search asks the
 * same questions in the same order, so the replay is exact and the finished records equal an
 * uninterrupted run's.
 *
 * It sits at the Llm boundary, keyed by what determines a reply, so it does not care which search,
 * strategy, engine or command sends the requests:
 *
 *   const journal = await openJournal(runDir, { model, isFinished: (id) => done.has(id) });
 *   const unit = journal.unit(id, llm);        // unit.llm replays, then records; unit.now is its clock
 *   ... the unit's work, through unit.llm; its result written ...
 *   await journal.finish(id);                  // its entries are no longer needed: dropped
 *
 * Layout: `<run>/journal/<sha256(unit id), 32 hex>.jsonl`, one file per unit in progress, removed when
 * the unit finishes, so the journal holds only the units in progress. Line 1 is a header naming the
 * unit; each further line is one reply:
 *
 *   {"sraJournal":1,"unit":"two-sum"}
 *   {"k":"<request key>","n":0,"t":1234.5,"r":{"text":"...","finishReason":"stop","promptTokens":512,"completionTokens":40}}
 *
 * Key: a hash of the model, the purpose, the messages and every sampling parameter that changes the
 * reply (temperature, top-p, max tokens, stop, seed, guided regex), and `n`, the occurrence of that
 * exact request within the unit. Occurrences are numbered when a request is *sent* (synchronously, in
 * complete(), before any await), not when its reply comes back: the search sends requests in an order
 * fixed by the replies it has seen, while replies of concurrent requests arrive in any order. Numbering
 * by arrival would let two identical requests in flight at once swap their replies on a resume.
 *
 * `t` is the unit's clock (ms since it started, continued across resumes) when the reply came. The
 * unit's clock (unit.now) jumps to `t` as each reply is replayed, so a time budget sees the time the
 * original run spent, and a search under --time-budget stops where it would have.
 *
 * Writes are whole lines, one write(2) each, made synchronously before the reply is handed on (an
 * append to the page cache, a few µs; an async append costs 40+ µs of CPU). The units' descriptors stay
 * open between writes, at most MAX_OPEN_FILES of them (the least recently written is closed first),
 * so --concurrency 4096 does not run out of descriptors. A SIGKILL cannot split such a
 * write; a torn or unreadable last line (a crash of the machine) is cut off when the unit is loaded,
 * and a damaged file is dropped (its unit is simply redone): the journal saves work, it never stops a
 * run. A write that fails (a full disk) turns the journal off for the rest of the run, with a warning,
 * and removes its files, so their space goes to the run's records.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { CompletionRequest, CompletionResult, Llm } from "../llm/types.js";
import { parseJson } from "../util/parse-json.js";
import { runPath } from "./layout.js";

export const JOURNAL_VERSION = 1;

export interface JournalOptions {
  /** The served model: part of every key (a reply of another model is not this one's). */
  model: string;
  /** Units whose result is already written: their leftover files (a crash after the write) are removed. */
  isFinished?: (unitId: string) => boolean;
  /** Milliseconds (the run's clock); Date.now by default. */
  now?: () => number;
  /** Told once when a write fails and the journal turns itself off, and when a damaged file is dropped. */
  warn?: (message: string, fields: Record<string, unknown>) => void;
}

export interface JournalStats {
  /** Replies handed back from the journal instead of the server. */
  replayed: number;
  /** Replies written to the journal. */
  recorded: number;
  /** Units that found a journal of an earlier run to replay. */
  resumedUnits: number;
  /** Journal files of finished units removed when the journal was opened. */
  pruned: number;
  /** Damaged journal files dropped (their units redone from the start). */
  dropped: number;
  /** Why the journal stopped recording, when a write failed. */
  writeError?: string;
}

/** One unit's view of the journal: its model and its clock. */
export interface JournalUnit {
  /** Replays what the journal holds for the unit, then asks `llm` and records each reply. */
  llm: Llm;
  /** The unit's clock: the run's, moved on to the original time of each reply replayed. */
  now: () => number;
}

export interface RequestJournal {
  unit(unitId: string, llm: Llm): JournalUnit;
  /** The unit's result is written: drop its entries (and ignore replies that still come for it). */
  finish(unitId: string): Promise<void>;
  stats(): JournalStats;
  /** Remove the journal directory when no unit left anything in it. */
  close(): Promise<void>;
}

type Reply = CompletionResult;

interface Entry {
  k: string;
  n: number;
  t: number;
  r: Reply;
}

/** The key of a request: what determines its reply, hashed (132 bits). */
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

/** The journal file of a unit, inside the journal directory. */
export function journalFileName(unitId: string): string {
  return `${createHash("sha256").update(unitId).digest("hex").slice(0, 32)}.jsonl`;
}

function isReply(v: unknown): v is Reply {
  const r = v as Partial<Reply> | null;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.text === "string" &&
    (r.finishReason === null || typeof r.finishReason === "string") &&
    typeof r.promptTokens === "number" &&
    typeof r.completionTokens === "number"
  );
}

function isEntry(v: unknown): v is Entry {
  const e = v as Partial<Entry> | null;
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
  | { ok: true; entries: Map<string, Entry>; wholeBytes: number }
  | { ok: false; why: string };

/**
 * Parse a unit's file (pure). `wholeBytes` is where its whole lines end: a torn last line (no newline,
 * or not an entry) is cut back to it. A damaged line before the last, or a header of another unit,
 * makes the file unusable.
 */
export function parseJournal(bytes: Buffer, unitId: string): ParsedJournal {
  const end = bytes.lastIndexOf(0x0a) + 1;
  const lines = bytes.subarray(0, end).toString("utf8").split("\n");
  lines.pop();
  if (lines.length === 0) return { ok: true, entries: new Map(), wholeBytes: 0 };
  if (headerUnit(lines[0] as string) !== unitId) {
    return { ok: false, why: "its first line is not this unit's journal header" };
  }
  const entries = new Map<string, Entry>();
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

interface UnitState {
  id: string;
  /** The file's name in the journal directory, and its path. */
  name: string;
  file: string;
  finished: boolean;
  /** Requests sent so far, by key: the next occurrence number. */
  sent: Map<string, number>;
  /** Loads the earlier run's entries once (resolved at once when there is no file). */
  loaded: Promise<Map<string, Entry>> | undefined;
  /** Milliseconds added to the run's clock, so the unit's clock reads the original times on replay. */
  shift: number;
  started: number;
}

/**
 * How many units' files stay open between writes. With a descriptor kept, a write is one write(2)
 * (about 2 µs); opening and closing around each write cost 20-40 µs in a busy run. 256 covers the
 * default --concurrency and leaves room under the usual limit of 1024 descriptors for the sockets;
 * past it the least recently written file is closed (and reopened when it is written again).
 */
const MAX_OPEN_FILES = 256;

/** The append descriptors of the units' files, at most MAX_OPEN_FILES, least recently used closed first. */
class OpenFiles {
  /** In order of last use: a Map keeps insertion order, and a used entry is inserted again. */
  private readonly fds = new Map<string, number>();

  fd(file: string): number {
    const held = this.fds.get(file);
    if (held !== undefined) {
      this.fds.delete(file);
      this.fds.set(file, held);
      return held;
    }
    if (this.fds.size >= MAX_OPEN_FILES) this.close(this.fds.keys().next().value as string);
    let fd: number;
    try {
      fd = fs.openSync(file, "a");
    } catch (e) {
      // Out of descriptors (a lower limit than ours, many sockets): give ours back and try once more.
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== "EMFILE" && code !== "ENFILE") || this.fds.size === 0) throw e;
      this.closeAll();
      fd = fs.openSync(file, "a");
    }
    this.fds.set(file, fd);
    return fd;
  }

  close(file: string): void {
    const fd = this.fds.get(file);
    if (fd === undefined) return;
    this.fds.delete(file);
    fs.closeSync(fd);
  }

  closeAll(): void {
    for (const file of [...this.fds.keys()]) this.close(file);
  }
}

/**
 * Open the journal of a run directory (created if needed). Files of units that `isFinished` names are
 * removed; the others wait for their unit to be opened.
 */
export async function openJournal(runDir: string, options: JournalOptions): Promise<RequestJournal> {
  const dir = runPath(runDir, "journal");
  await fsp.mkdir(dir, { recursive: true });
  // The units' files known to be there: an earlier run's, and those written since.
  const present = new Set((await fsp.readdir(dir)).filter((f) => f.endsWith(".jsonl")));
  const pruned = options.isFinished ? await pruneFinished(dir, present, options.isFinished) : 0;
  return new FileJournal(dir, options, present, pruned);
}

class FileJournal implements RequestJournal {
  private readonly now: () => number;
  private readonly counts: JournalStats;
  private readonly units = new Map<string, UnitState>();
  private readonly files = new OpenFiles();

  constructor(
    private readonly dir: string,
    private readonly options: JournalOptions,
    private readonly present: Set<string>,
    pruned: number,
  ) {
    this.now = options.now ?? Date.now;
    this.counts = { replayed: 0, recorded: 0, resumedUnits: 0, pruned, dropped: 0 };
  }

  unit(unitId: string, base: Llm): JournalUnit {
    const name = journalFileName(unitId);
    const u: UnitState = {
      id: unitId,
      name,
      file: path.join(this.dir, name),
      finished: false,
      sent: new Map(),
      loaded: undefined,
      shift: 0,
      started: this.now(),
    };
    this.units.set(unitId, u);
    return {
      llm: { complete: (request, signal) => this.complete(u, base, request, signal) },
      now: () => this.now() + u.shift,
    };
  }

  async finish(unitId: string): Promise<void> {
    const u = this.units.get(unitId);
    if (!u) return;
    this.units.delete(unitId);
    u.finished = true;
    // A load still running (a unit that ended before its first reply) must not outlive the file.
    await u.loaded?.catch(() => undefined);
    this.files.close(u.file);
    if (this.present.delete(u.name)) await fsp.unlink(u.file).catch(() => undefined);
  }

  stats(): JournalStats {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    this.files.closeAll();
    await fsp.rmdir(this.dir).catch(() => undefined);
  }

  private async complete(
    u: UnitState,
    base: Llm,
    request: CompletionRequest,
    signal?: AbortSignal,
  ): Promise<CompletionResult> {
    // Numbered now, in the order the requests are sent (see the file comment).
    const key = requestKey(this.options.model, request);
    const n = u.sent.get(key) ?? 0;
    u.sent.set(key, n + 1);
    u.loaded ??= this.load(u);
    const replay = (await u.loaded).get(`${key}#${n}`);
    if (replay !== undefined) {
      this.counts.replayed++;
      const elapsed = this.now() - u.started + u.shift;
      if (replay.t > elapsed) u.shift += replay.t - elapsed;
      return { ...replay.r };
    }
    const reply = await base.complete(request, signal);
    const t = Math.round((this.now() - u.started + u.shift) * 10) / 10;
    this.record(u, { k: key, n, t, r: replyOf(reply) });
    return reply;
  }

  /** The entries an earlier run left for the unit (none when it left no usable file). */
  private async load(u: UnitState): Promise<Map<string, Entry>> {
    if (!this.present.has(u.name)) return new Map();
    const bytes = await fsp.readFile(u.file).catch(() => undefined);
    const parsed = bytes === undefined ? undefined : parseJournal(bytes, u.id);
    if (parsed?.ok === false) {
      this.counts.dropped++;
      this.options.warn?.("journal: a damaged journal file was dropped; its unit is redone", {
        unit: u.id,
        why: parsed.why,
      });
    }
    if (bytes === undefined || !parsed?.ok || parsed.wholeBytes === 0) {
      // Nothing usable: the next reply starts the file afresh, header first.
      this.files.close(u.file);
      await fsp.rm(u.file, { force: true });
      this.present.delete(u.name);
      return new Map();
    }
    if (parsed.wholeBytes < bytes.length) await fsp.truncate(u.file, parsed.wholeBytes);
    if (parsed.entries.size > 0) this.counts.resumedUnits++;
    return parsed.entries;
  }

  /** Append one entry (the header first in a new file): one write(2) of whole lines. */
  private record(u: UnitState, entry: Entry): void {
    if (u.finished || this.counts.writeError !== undefined) return;
    const line = `${JSON.stringify(entry)}\n`;
    const fresh = !this.present.has(u.name);
    const text = fresh ? `${JSON.stringify({ sraJournal: JOURNAL_VERSION, unit: u.id })}\n${line}` : line;
    try {
      const written = fs.writeSync(this.files.fd(u.file), text);
      this.present.add(u.name);
      const bytes = Buffer.byteLength(text);
      if (written !== bytes) throw new Error(`only ${written} of ${bytes} bytes written`);
      this.counts.recorded++;
    } catch (e) {
      this.turnOff(u.file, e);
    }
  }

  /** A write failed (most likely a full disk): off for the rest of the run, its space given back. */
  private turnOff(file: string, e: unknown): void {
    this.counts.writeError = (e as Error).message;
    this.files.closeAll();
    for (const name of this.present) {
      try {
        fs.rmSync(path.join(this.dir, name), { force: true });
      } catch {
        // gone, or not ours to remove: the journal is off either way
      }
    }
    this.present.clear();
    this.options.warn?.(
      "journal: cannot write, so it is off and its files removed; a crash now loses the problems in flight",
      { file, err: this.counts.writeError },
    );
  }
}

/** Only the fields a reply is made of (a client may hang more on its results). */
function replyOf(r: Reply): Reply {
  return {
    text: r.text,
    finishReason: r.finishReason,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    ...(r.usageEstimated ? { usageEstimated: true } : {}),
  };
}

/** Remove the files of finished units (read from their header lines); returns how many. */
async function pruneFinished(
  dir: string,
  files: Set<string>,
  isFinished: (unitId: string) => boolean,
): Promise<number> {
  let pruned = 0;
  for (const name of [...files]) {
    const unit = await readHeaderUnit(path.join(dir, name));
    // A file without a readable header holds nothing replayable: it goes too.
    if (unit === undefined || isFinished(unit)) {
      await fsp.rm(path.join(dir, name), { force: true });
      files.delete(name);
      pruned++;
    }
  }
  return pruned;
}

async function readHeaderUnit(file: string): Promise<string | undefined> {
  const handle = await fsp.open(file, "r").catch(() => undefined);
  if (!handle) return undefined;
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    return nl < 0 ? undefined : headerUnit(buf.subarray(0, nl).toString("utf8"));
  } finally {
    await handle.close();
  }
}

/** The unit a header line names, or undefined when the line is not a header of this version. */
function headerUnit(line: string): string | undefined {
  const parsed = parseJson(line);
  const h = parsed.ok ? (parsed.value as { sraJournal?: unknown; unit?: unknown } | null) : null;
  return h?.sraJournal === JOURNAL_VERSION && typeof h.unit === "string" ? h.unit : undefined;
}
