/**
 * Lines of a file as bytes, for input that must be checked before it is trusted: the caller gets each
 * line's exact bytes (to tell invalid UTF-8 from a real U+FFFD, and to copy a record byte for byte) and
 * whether it ended with a newline (a last line without one may be a torn write). Streams in 1 MiB
 * chunks, so a file of any size is never held in memory, only its longest line.
 */
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { InputError } from "../errors.js";

export interface RawLine {
  /** 1-based line number. */
  line: number;
  /** The line's bytes without "\n", without a trailing "\r", and without a UTF-8 BOM on line 1. */
  bytes: Buffer;
  /** False only for a last line that did not end with "\n". */
  terminated: boolean;
}

const NL = 0x0a;
const CR = 0x0d;

/** Open a file for streaming, turning "not found" and friends into an InputError that names it. */
export async function openInput(file: string): Promise<ReturnType<typeof createReadStream>> {
  // open(2) succeeds on a directory on Linux; only the first read fails (a bare EISDIR): ask first.
  const isDirectory = await stat(file).then(
    (s) => s.isDirectory(),
    () => false, // missing or unreadable: the open below says which
  );
  if (isDirectory) throw new InputError("is a directory, not a file", { file });
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    await once(stream, "open");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT"
        ? "file not found"
        : code === "EISDIR"
          ? "is a directory, not a file"
          : `cannot read: ${(e as Error).message}`;
    throw new InputError(message, { file });
  }
  return stream;
}

function finish(bytes: Buffer, line: number, terminated: boolean): RawLine {
  let b = bytes;
  if (line === 1 && b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
  if (b.length > 0 && b[b.length - 1] === CR) b = b.subarray(0, b.length - 1);
  return { line, bytes: b, terminated };
}

/**
 * The lines of a file, in batches: the lines each read chunk completes. The caller loops over a batch
 * synchronously, so reading costs one await per chunk rather than several per line.
 */
export async function* readRawLineBatches(file: string): AsyncGenerator<RawLine[]> {
  const stream = await openInput(file);
  // Pieces of a line that spans chunks; joined once when its newline arrives (no quadratic copying).
  let pieces: Buffer[] = [];
  let line = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const batch: RawLine[] = [];
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(NL, start);
        if (nl < 0) break;
        const part = chunk.subarray(start, nl);
        const bytes = pieces.length === 0 ? part : Buffer.concat([...pieces, part]);
        pieces = [];
        line++;
        batch.push(finish(bytes, line, true));
        start = nl + 1;
      }
      if (start < chunk.length) pieces.push(chunk.subarray(start));
      if (batch.length > 0) yield batch;
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read: ${(e as Error).message}`, { file });
  } finally {
    stream.destroy();
  }
  if (pieces.length > 0) {
    line++;
    yield [finish(Buffer.concat(pieces), line, false)];
  }
}
