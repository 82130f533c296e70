/**
 * Append-only JSONL and atomic whole-file writes: the file store every stage uses.
 * A record is one `write` of one line ending in "\n"; a crash can only tear the last line,
 * which `repairTornTail` cuts off before anything is appended again.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type { z } from "zod";
import { cannotReadError, InputError, OutputError } from "../errors.js";
import { hintForWriteError, makeDirectory } from "./output-dir.js";
import { parseJson } from "./parse-json.js";

/** If the file does not end with a newline, cut it back to the last one. Returns the bytes removed. */
export async function repairTornTail(file: string): Promise<number> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, "r+");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw e;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return 0;
    // Walk back in chunks to the last "\n".
    const chunk = 64 * 1024;
    let end = size;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return 0;
    while (end > 0) {
      const start = Math.max(0, end - chunk);
      const buf = Buffer.alloc(end - start);
      await handle.read(buf, 0, buf.length, start);
      const idx = buf.lastIndexOf(0x0a);
      if (idx >= 0) {
        const keep = start + idx + 1;
        await handle.truncate(keep);
        return size - keep;
      }
      end = start;
    }
    await handle.truncate(0);
    return size;
  } finally {
    await handle.close();
  }
}

/**
 * Appends records to a JSONL file, one whole line per write, in call order.
 * Open with `JsonlAppender.open`, which repairs a torn tail first.
 */
export class JsonlAppender {
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private constructor(
    readonly file: string,
    private readonly handle: fsp.FileHandle,
    private readonly durable: boolean,
    /** Bytes of whole lines in the file: where a failed append is cut back to. */
    private size: number,
  ) {}

  static async open(file: string, options: { durable?: boolean } = {}): Promise<JsonlAppender> {
    await makeDirectory(path.dirname(file));
    await repairTornTail(file);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, "a");
    } catch (e) {
      throw new OutputError(`cannot open ${file} for appending: ${(e as Error).message}`, {
        cause: e,
        hint: hintForWriteError(e),
      });
    }
    const { size } = await handle.stat();
    return new JsonlAppender(file, handle, options.durable ?? false, size);
  }

  /** Append one record; resolves when the line is written (and synced, if durable). */
  append(record: unknown): Promise<void> {
    if (this.closed) return Promise.reject(new OutputError(`${this.file} is closed`));
    const line = Buffer.from(`${JSON.stringify(record)}\n`, "utf8");
    const run = async (): Promise<void> => {
      try {
        // One write(2): on a full disk the kernel takes what fits and says how much (a short write).
        const { bytesWritten } = await this.handle.write(line);
        if (bytesWritten !== line.length) {
          throw Object.assign(
            new Error(
              `ENOSPC: no space left on device (only ${bytesWritten} of ${line.length} bytes written)`,
            ),
            { code: "ENOSPC" },
          );
        }
        this.size += line.length;
        if (this.durable) await this.handle.datasync();
      } catch (e) {
        // Cut a line written in part back off: the file stays whole lines, and an append that
        // succeeds later (space freed meanwhile) does not glue a record onto a fragment.
        await this.handle.truncate(this.size).catch(() => undefined);
        throw new OutputError(`cannot write to ${this.file}: ${(e as Error).message}`, {
          cause: e,
          hint: hintForWriteError(e),
        });
      }
    };
    const p = this.chain.then(run);
    // Keep the chain alive after a failure so later appends report their own error.
    this.chain = p.catch(() => undefined);
    return p;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    await this.handle.close();
  }
}

/**
 * A file written line by line through a stream, waiting for "drain" when its buffer is full (a merge or
 * a rewrite of a large trees.jsonl). `events.once` takes its "error" listener off again when the drain
 * comes: a listener added per drain and never removed piles up past Node's limit of 10
 * (MaxListenersExceededWarning) and holds on to every pending promise.
 */
export function openLineWriter(file: string): { write(line: string): Promise<void>; close(): Promise<void> } {
  const stream = createWriteStream(file, { encoding: "utf8" });
  let failed: Error | undefined;
  stream.on("error", (e) => {
    failed = e;
  });
  return {
    async write(line: string): Promise<void> {
      if (failed) throw failed;
      if (!stream.write(`${line}\n`)) await once(stream, "drain");
    },
    close(): Promise<void> {
      return new Promise((resolve, reject) => {
        if (failed) {
          reject(failed);
          return;
        }
        stream.end((e?: Error | null) => (e ? reject(e) : resolve()));
      });
    },
  };
}

export interface JsonlLine<T> {
  line: number;
  /** The line as read (for a caller that writes it back unchanged). */
  text: string;
  value: T;
}

/**
 * Stream a JSONL file line by line (never the whole file in memory). Blank lines are skipped; a
 * line that is not JSON or fails the schema throws an InputError naming file:line.
 * `tolerateTornTail` skips an unparsable final line without a newline (a crash's leftover).
 */
export async function* readJsonl<S extends z.ZodType>(
  file: string,
  schema: S,
  options: { tolerateTornTail?: boolean } = {},
): AsyncGenerator<JsonlLine<z.infer<S>>> {
  for await (const { line, text, last } of readLines(file)) {
    if (text.trim() === "") continue;
    const parsed = parseJson(text);
    if (!parsed.ok) {
      if (last && options.tolerateTornTail) return;
      throw new InputError(`invalid JSON: ${parsed.error}`, { file, line });
    }
    const result = schema.safeParse(parsed.value);
    if (!result.success) {
      const issue = result.error.issues[0];
      const field = issue?.path.join(".") || undefined;
      throw new InputError(issue?.message ?? "invalid record", { file, line, ...(field ? { field } : {}) });
    }
    yield { line, text, value: result.data };
  }
}

/** Lines of a text file with 1-based numbers; strips a UTF-8 BOM and CR of CRLF. */
export async function* readLines(
  file: string,
): AsyncGenerator<{ line: number; text: string; last: boolean }> {
  let stream: ReturnType<typeof createReadStream>;
  try {
    stream = createReadStream(file, { encoding: "utf8" });
    await once(stream, "open");
  } catch (e) {
    throw cannotReadError(e, "file", { file });
  }
  const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  let pending: string | undefined;
  for await (const raw of rl) {
    if (pending !== undefined) yield { line: n, text: pending, last: false };
    n++;
    let text = raw;
    if (n === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith("\r")) text = text.slice(0, -1);
    pending = text;
  }
  if (pending !== undefined) yield { line: n, text: pending, last: true };
}

/**
 * Whether `file` exists and is something other than a regular file or a directory: a device
 * (/dev/stdout, /dev/null) or a FIFO. Such a target is written in place: renaming a temporary file
 * over it would replace the device node itself (as root, for everyone), and "atomic" means nothing
 * for a pipe anyway.
 */
export async function isSpecialFile(file: string): Promise<boolean> {
  try {
    const st = await fsp.stat(file);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

/**
 * Write a whole file atomically: a temporary file in the same directory, fsync, rename. A device or
 * FIFO target (see isSpecialFile) is written in place instead.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  if (await isSpecialFile(file)) {
    try {
      await fsp.writeFile(file, data);
    } catch (e) {
      throw new OutputError(`cannot write ${file}: ${(e as Error).message}`, {
        cause: e,
        hint: hintForWriteError(e),
      });
    }
    return;
  }
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    await makeDirectory(dir);
    const handle = await fsp.open(tmp, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw new OutputError(`cannot write ${file}: ${(e as Error).message}`, {
      cause: e,
      hint: hintForWriteError(e),
    });
  }
}
