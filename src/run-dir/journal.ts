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
 * Layout (journal-files.ts): `<run>/journal/<n>.jsonl`, one file per unit in progress, emptied for the
 * next unit when it finishes, so the journal holds only the units in progress. Line 1 is a header
 * naming the unit; each further line is one reply (journal-format.ts):
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
 * append to the page cache, a few µs; an async append costs 40+ µs of CPU). A SIGKILL cannot split such
 * a write; a torn or unreadable last line (a crash of the machine) is cut off when the unit is loaded,
 * and a damaged file is dropped (its unit is simply redone): the journal saves work, it never stops a
 * run. A write that fails (a full disk) turns the journal off for the rest of the run, with a warning,
 * and removes its files, so their space goes to the run's records.
 */
import * as fsp from "node:fs/promises";
import type { CompletionRequest, CompletionResult, Llm } from "../llm/types.js";
import { JournalFiles, readJournalDir } from "./journal-files.js";
import { headerLine, type JournalEntry, parseJournal, replyOf, requestKey } from "./journal-format.js";
import { runPath } from "./layout.js";

export { readJournalDir } from "./journal-files.js";
export { parseJournal, requestKey } from "./journal-format.js";

export interface JournalOptions {
  /** The served model: part of every key (a reply of another model is not this one's). */
  model: string;
  /** Units whose result is already written: their leftover files (a crash after the write) are emptied. */
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
  /** Journals of finished units emptied when the journal was opened. */
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
  /** Close the files, and remove the journal directory when no unit left anything in it. */
  close(): Promise<void>;
}

interface UnitState {
  id: string;
  finished: boolean;
  /** Requests sent so far, by key: the next occurrence number. */
  sent: Map<string, number>;
  /** Loads the earlier run's entries once (resolved at once when there is no file). */
  loaded: Promise<Map<string, JournalEntry>> | undefined;
  /** Milliseconds added to the run's clock, so the unit's clock reads the original times on replay. */
  shift: number;
  started: number;
}

/**
 * Open the journal of a run directory (created if needed). The journals of units that `isFinished`
 * names are emptied; the others wait for their unit to be opened.
 */
export async function openJournal(runDir: string, options: JournalOptions): Promise<RequestJournal> {
  const dir = runPath(runDir, "journal");
  const isFinished = options.isFinished ?? (() => false);
  const files = new JournalFiles(dir, await readJournalDir(dir), (unit) => !isFinished(unit));
  return new FileJournal(files, options);
}

class FileJournal implements RequestJournal {
  private readonly now: () => number;
  private readonly counts: JournalStats;
  private readonly units = new Map<string, UnitState>();

  constructor(
    private readonly files: JournalFiles,
    private readonly options: JournalOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.counts = { replayed: 0, recorded: 0, resumedUnits: 0, pruned: files.emptied, dropped: 0 };
  }

  unit(unitId: string, base: Llm): JournalUnit {
    const u: UnitState = {
      id: unitId,
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
    if (this.counts.writeError === undefined) this.files.release(unitId);
  }

  stats(): JournalStats {
    return { ...this.counts };
  }

  close(): Promise<void> {
    return this.files.close();
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
  private async load(u: UnitState): Promise<Map<string, JournalEntry>> {
    const file = this.files.fileOf(u.id);
    if (file === undefined) return new Map();
    const bytes = await fsp.readFile(file).catch(() => undefined);
    const parsed = bytes === undefined ? undefined : parseJournal(bytes, u.id);
    if (parsed?.ok === false) {
      this.counts.dropped++;
      this.options.warn?.("journal: a damaged journal file was dropped; its unit is redone", {
        unit: u.id,
        why: parsed.why,
      });
    }
    if (bytes === undefined || !parsed?.ok || parsed.wholeBytes === 0) {
      // Nothing usable: the unit's next reply starts a journal afresh, header first.
      this.files.release(u.id);
      return new Map();
    }
    if (parsed.wholeBytes < bytes.length) this.files.truncate(u.id, parsed.wholeBytes);
    if (parsed.entries.size > 0) this.counts.resumedUnits++;
    return parsed.entries;
  }

  /** Append one entry (the header first in a slot just taken): one write(2) of whole lines. */
  private record(u: UnitState, entry: JournalEntry): void {
    if (u.finished || this.counts.writeError !== undefined) return;
    try {
      const { written, bytes } = this.files.append(u.id, headerLine(u.id), `${JSON.stringify(entry)}\n`);
      if (written !== bytes) throw new Error(`only ${written} of ${bytes} bytes written`);
      this.counts.recorded++;
    } catch (e) {
      // Most likely a full disk: off for the rest of the run, and its space given back to the records.
      this.counts.writeError = (e as Error).message;
      this.files.removeAll();
      this.options.warn?.(
        "journal: cannot write, so it is off and its files removed; a crash now loses the problems in flight",
        { unit: u.id, err: this.counts.writeError },
      );
    }
  }
}
