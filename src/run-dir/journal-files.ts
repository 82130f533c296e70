/**
 * The request journal's files (src/run-dir/journal.ts): `<run>/journal/<n>.jsonl`, each a slot that is
 * empty (free) or holds one unit's journal, its first line naming the unit. A unit takes a free slot at
 * its first reply and hands it back emptied when it finishes, so the directory holds only the units in
 * progress, and a run makes about --concurrency files instead of one per problem: creating a file cost
 * 200 µs of CPU on the VM this was measured on, ten replies' worth of writes.
 *
 * Writes are synchronous, one write(2) each, through descriptors kept open between writes, at most
 * MAX_OPEN_FILES of them: an open and a close around each write cost 20-40 µs in a busy run, and a
 * descriptor per unit would run out at --concurrency 4096.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { headerUnit } from "./journal-format.js";

/**
 * How many slots stay open between writes: the default --concurrency, well under the usual limit of
 * 1024 descriptors, which the sockets share. Past it the least recently written one is closed.
 */
const MAX_OPEN_FILES = 256;

/** The append descriptors of the slot files, least recently used closed first. */
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

  /** The file's descriptor if it is open. */
  held(file: string): number | undefined {
    return this.fds.get(file);
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

/** A slot file as found on disk: the unit it names, or none (empty, or no readable header). */
export interface SlotFile {
  file: string;
  unit: string | undefined;
}

/** The slot files of a journal directory (created if needed), each with the unit its header names. */
export async function readJournalDir(dir: string): Promise<SlotFile[]> {
  await fsp.mkdir(dir, { recursive: true });
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && e.name.endsWith(".jsonl"));
  return Promise.all(
    files.map(async ({ name }) => {
      const file = path.join(dir, name);
      return { file, unit: await readHeaderUnit(file) };
    }),
  );
}

/** The unit the file's first line names; undefined for an empty or unreadable file. */
async function readHeaderUnit(file: string): Promise<string | undefined> {
  const handle = await fsp.open(file, "r").catch(() => undefined);
  if (!handle) return undefined;
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    return nl < 0 ? undefined : headerUnit(buf.subarray(0, nl).toString("utf8"));
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

export class JournalFiles {
  /** Slots of units that were emptied when the journal was opened (finished, or a second copy). */
  emptied = 0;
  private readonly byUnit = new Map<string, string>();
  private readonly free: string[] = [];
  private readonly open = new OpenFiles();
  private next = 0;

  /**
   * `found` as readJournalDir lists it; the slots of units that `keep` rejects, and those naming no
   * unit, are emptied for reuse (counted in `emptied` when they named one).
   */
  constructor(
    private readonly dir: string,
    found: readonly SlotFile[],
    keep: (unit: string) => boolean,
  ) {
    for (const { file } of found) {
      const n = Number.parseInt(path.basename(file), 10);
      if (Number.isInteger(n) && n >= this.next) this.next = n + 1;
    }
    for (const { file, unit } of found) {
      if (unit !== undefined && keep(unit) && !this.byUnit.has(unit)) this.byUnit.set(unit, file);
      else {
        if (unit !== undefined) this.emptied++;
        this.empty(file);
      }
    }
  }

  /** The file holding the unit's journal, if there is one. */
  fileOf(unit: string): string | undefined {
    return this.byUnit.get(unit);
  }

  /**
   * Append `text` to the unit's slot, taking a free one (or a new file) at its first write; `header`
   * goes first into a slot just taken. One write(2); returns the bytes written and expected.
   */
  append(unit: string, header: string, text: string): { written: number; bytes: number } {
    let file = this.byUnit.get(unit);
    let out = text;
    if (file === undefined) {
      file = this.free.pop() ?? path.join(this.dir, `${this.next++}.jsonl`);
      this.byUnit.set(unit, file);
      out = header + text;
    }
    return { written: fs.writeSync(this.open.fd(file), out), bytes: Buffer.byteLength(out) };
  }

  /** Cut the unit's file back to its first `bytes` (a torn tail); 0 hands the slot back. */
  truncate(unit: string, bytes: number): void {
    const file = this.byUnit.get(unit);
    if (file === undefined) return;
    if (bytes > 0) {
      fs.truncateSync(file, bytes);
      return;
    }
    this.byUnit.delete(unit);
    this.empty(file);
  }

  /** The unit finished: its slot emptied and free for the next one. */
  release(unit: string): void {
    this.truncate(unit, 0);
  }

  /** Every slot removed (the journal turns off on a full disk: the space goes to the records). */
  removeAll(): void {
    this.open.closeAll();
    for (const file of [...this.byUnit.values(), ...this.free]) {
      try {
        fs.rmSync(file, { force: true });
      } catch {
        // gone, or not ours to remove: the journal is off either way
      }
    }
    this.byUnit.clear();
    this.free.length = 0;
  }

  /** Close the descriptors and remove the free slots, and the directory when nothing is left in it. */
  async close(): Promise<void> {
    this.open.closeAll();
    await Promise.all(this.free.map((file) => fsp.rm(file, { force: true })));
    this.free.length = 0;
    await fsp.rmdir(this.dir).catch(() => undefined);
  }

  /** Empty a slot and free it; a slot that cannot be emptied (gone) is only forgotten. */
  private empty(file: string): void {
    try {
      const fd = this.open.held(file);
      if (fd !== undefined) fs.ftruncateSync(fd, 0);
      else fs.truncateSync(file, 0);
    } catch {
      this.open.close(file);
      return;
    }
    this.free.push(file);
  }
}
