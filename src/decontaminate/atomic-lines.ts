/**
 * A big output file written atomically: lines go to a temporary file beside the target, in buffered
 * writes; `commit` syncs and renames it into place, `abort` deletes it. Readers see the old file or the
 * whole new one, never a half-written one, and a failed run leaves no output behind.
 */
import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { OutputError } from "../errors.js";
import { isSpecialFile } from "../util/jsonl.js";
import { hintForWriteError, makeDirectory } from "../util/output-dir.js";

const FLUSH_AT = 1 << 20;

export class AtomicLineWriter {
  private buffer: string[] = [];
  private buffered = 0;
  private done = false;
  /** Flushed, synced and closed; only the rename is left. */
  private finished = false;
  lines = 0;

  private constructor(
    readonly file: string,
    private readonly tmp: string,
    private readonly handle: fsp.FileHandle,
    /** A device or FIFO target (`-o /dev/stdout`): written in place, never renamed over. */
    private readonly inPlace = false,
  ) {}

  static async open(file: string): Promise<AtomicLineWriter> {
    if (await isSpecialFile(file)) {
      try {
        return new AtomicLineWriter(file, file, await fsp.open(file, "w"), true);
      } catch (e) {
        throw new OutputError(`cannot write ${file}: ${(e as Error).message}`, {
          cause: e,
          hint: hintForWriteError(e),
        });
      }
    }
    const dir = path.dirname(file);
    const tmp = path.join(
      dir,
      `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
    );
    try {
      await makeDirectory(dir);
      const handle = await fsp.open(tmp, "w");
      return new AtomicLineWriter(file, tmp, handle);
    } catch (e) {
      throw new OutputError(`cannot write ${file}: ${(e as Error).message}`, {
        cause: e,
        hint: hintForWriteError(e),
      });
    }
  }

  /** Queue one line (without its "\n"); flushes when 1 MiB is buffered. */
  async writeLine(line: string): Promise<void> {
    this.buffer.push(line, "\n");
    this.buffered += line.length + 1;
    this.lines++;
    if (this.buffered >= FLUSH_AT) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const data = this.buffer.join("");
    this.buffer = [];
    this.buffered = 0;
    try {
      await this.handle.write(data);
    } catch (e) {
      throw new OutputError(`cannot write ${this.file}: ${(e as Error).message}`, {
        cause: e,
        hint: hintForWriteError(e),
      });
    }
  }

  /**
   * Write out the rest and sync, without renaming: where a full disk shows. A caller with several
   * outputs finishes them all before committing any, so a failure leaves none of them replaced.
   */
  async finish(): Promise<void> {
    if (this.finished || this.done) return;
    try {
      await this.flush();
      // fsync of a pipe or a terminal fails (EINVAL) and means nothing there.
      if (!this.inPlace) await this.handle.sync();
      await this.handle.close();
      this.finished = true;
    } catch (e) {
      await this.abort();
      if (e instanceof OutputError) throw e;
      throw new OutputError(`cannot write ${this.file}: ${(e as Error).message}`, {
        cause: e,
        hint: hintForWriteError(e),
      });
    }
  }

  async commit(): Promise<void> {
    if (this.done) return;
    await this.finish();
    try {
      this.done = true;
      if (!this.inPlace) await fsp.rename(this.tmp, this.file);
    } catch (e) {
      await this.abort();
      throw new OutputError(`cannot write ${this.file}: ${(e as Error).message}`, {
        cause: e,
        hint: hintForWriteError(e),
      });
    }
  }

  /** Drop the temporary file (safe to call more than once, and after a failed commit). */
  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      if (!this.finished) await this.handle.close().catch(() => undefined);
    }
    // In place, the target is the device itself: never delete it.
    if (!this.inPlace) await fsp.rm(this.tmp, { force: true }).catch(() => undefined);
  }
}
