/**
 * A big output file written atomically: lines go to a temporary file beside the target, in buffered
 * writes; `commit` syncs and renames it into place, `abort` deletes it. Readers see the old file or the
 * whole new one, never a half-written one, and a failed run leaves no output behind.
 */
import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { OutputError } from "../errors.js";

const FLUSH_AT = 1 << 20;

export class AtomicLineWriter {
  private buffer: string[] = [];
  private buffered = 0;
  private done = false;
  lines = 0;

  private constructor(
    readonly file: string,
    private readonly tmp: string,
    private readonly handle: fsp.FileHandle,
  ) {}

  static async open(file: string): Promise<AtomicLineWriter> {
    const dir = path.dirname(file);
    const tmp = path.join(
      dir,
      `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
    );
    try {
      await fsp.mkdir(dir, { recursive: true });
      const handle = await fsp.open(tmp, "w");
      return new AtomicLineWriter(file, tmp, handle);
    } catch (e) {
      throw new OutputError(`cannot write ${file}: ${(e as Error).message}`, { cause: e });
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
      throw new OutputError(`cannot write ${this.file}: ${(e as Error).message}`, { cause: e });
    }
  }

  async commit(): Promise<void> {
    if (this.done) return;
    try {
      await this.flush();
      await this.handle.sync();
      await this.handle.close();
      this.done = true;
      await fsp.rename(this.tmp, this.file);
    } catch (e) {
      await this.abort();
      if (e instanceof OutputError) throw e;
      throw new OutputError(`cannot write ${this.file}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Drop the temporary file (safe to call more than once, and after a failed commit). */
  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.handle.close().catch(() => undefined);
    }
    await fsp.rm(this.tmp, { force: true }).catch(() => undefined);
  }
}
