/**
 * The executor's wire format (src/execute/harness/sra_protocol.py is the other end): a 4-byte big-endian
 * length, a JSON header, then the blobs whose lengths the header lists in `blobs`. Code, test inputs
 * and encoded values travel as raw bytes, so Python's big integers, NaN and Infinity never pass
 * through a JavaScript number.
 */

export type Blob = Buffer | string;

export interface Frame {
  header: Record<string, unknown>;
  blobs: Buffer[];
}

export function encodeFrame(header: Record<string, unknown>, blobs: readonly Blob[] = []): Buffer {
  const buffers = blobs.map((b) => (typeof b === "string" ? Buffer.from(b, "utf8") : b));
  const withBlobs = buffers.length > 0 ? { ...header, blobs: buffers.map((b) => b.length) } : header;
  const body = Buffer.from(JSON.stringify(withBlobs), "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return Buffer.concat([length, body, ...buffers]);
}

/** Frames out of a byte stream that arrives in chunks (a child process's stdout). */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks.length > 1 && (this.chunks[0] as Buffer).length < n) {
      this.chunks = [Buffer.concat(this.chunks, this.size)];
    }
    return this.chunks[0] as Buffer;
  }

  private next(): Frame | undefined {
    if (this.size < 4) return undefined;
    const headLen = this.peek(4).readUInt32BE(0);
    if (this.size < 4 + headLen) return undefined;
    const head = this.peek(4 + headLen);
    const header = JSON.parse(head.subarray(4, 4 + headLen).toString("utf8")) as Record<string, unknown>;
    const lengths = Array.isArray(header.blobs) ? (header.blobs as number[]) : [];
    const total = 4 + headLen + lengths.reduce((a, b) => a + b, 0);
    if (this.size < total) return undefined;
    const all = this.peek(total);
    const blobs: Buffer[] = [];
    let at = 4 + headLen;
    for (const n of lengths) {
      blobs.push(all.subarray(at, at + n));
      at += n;
    }
    const rest = all.subarray(total);
    this.chunks = rest.length > 0 ? [rest, ...this.chunks.slice(1)] : this.chunks.slice(1);
    this.size -= total;
    return { header, blobs };
  }
}

/** All frames of a complete buffer (a child's report stream). */
export function decodeFrames(data: Buffer): Frame[] {
  return new FrameReader().push(data);
}
