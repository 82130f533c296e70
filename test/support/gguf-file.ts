/**
 * Just enough of the GGUF file format (version 3, little-endian) to make test models: skim a file's
 * metadata into raw key/value records, and write a file from metadata records and tensors.
 *
 * Layout: magic "GGUF", version (u32), tensor count (u64), metadata count (u64), the metadata
 * records (key string, value type u32, value), the tensor infos (name, dims u32 + u64 each, ggml
 * type u32, data offset u64), padding to `general.alignment` (32 by default), then each tensor's
 * data at its offset, each one aligned. A string is a u64 byte length and its UTF-8 bytes.
 */
import { open } from "node:fs/promises";

/** GGUF metadata value types. */
export const GGUF_TYPE = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

/** The ggml tensor types the writer knows how to lay out. */
export const GGML_TYPE = { f32: 0, f16: 1, q8_0: 8 } as const;
export type GgmlTypeName = keyof typeof GGML_TYPE;

const ALIGNMENT = 32;
const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32

/** Bytes one value of a fixed-size type takes; undefined for strings and arrays. */
const FIXED_SIZE: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};

/** One metadata record exactly as it is stored: its key and its whole encoding (key, type, value). */
export interface RawMetadata {
  key: string;
  bytes: Buffer;
}

/** A metadata record to encode. */
export type Metadata =
  | { key: string; type: "string"; value: string }
  | { key: string; type: "uint32" | "int32" | "float32"; value: number }
  | { key: string; type: "bool"; value: boolean };

export interface Tensor {
  name: string;
  /** ggml order: dims[0] is the length of a row (the innermost dimension). */
  dims: number[];
  type: GgmlTypeName;
  /** Writes the tensor's bytes (exactly `tensorBytes(dims, type)` of them) in chunks. */
  data: () => Iterable<Buffer>;
}

/** The metadata records of a GGUF file, each kept as its raw bytes. */
export function readMetadata(file: Buffer): RawMetadata[] {
  let pos = 0;
  const u32 = (): number => {
    const v = file.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    const v = Number(file.readBigUInt64LE(pos));
    pos += 8;
    return v;
  };
  const skipString = (): string => {
    const n = u64();
    const s = file.toString("utf8", pos, pos + n);
    pos += n;
    return s;
  };
  const skipValue = (type: number): void => {
    if (type === GGUF_TYPE.string) skipString();
    else if (type === GGUF_TYPE.array) {
      const itemType = u32();
      const count = u64();
      const size = FIXED_SIZE[itemType];
      if (size !== undefined) pos += size * count;
      else for (let i = 0; i < count; i++) skipValue(itemType);
    } else {
      const size = FIXED_SIZE[type];
      if (size === undefined) throw new Error(`GGUF: unknown value type ${type} at byte ${pos}`);
      pos += size;
    }
  };
  if (u32() !== MAGIC) throw new Error("not a GGUF file (bad magic)");
  const version = u32();
  if (version !== 3) throw new Error(`GGUF version ${version}: only version 3 is supported`);
  u64(); // tensor count
  const count = u64();
  const records: RawMetadata[] = [];
  for (let i = 0; i < count; i++) {
    const start = pos;
    const key = skipString();
    skipValue(u32());
    records.push({ key, bytes: file.subarray(start, pos) });
  }
  return records;
}

function ggufString(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([len, bytes]);
}

function u32Buffer(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function u64Buffer(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

export function encodeMetadata(m: Metadata): RawMetadata {
  let value: Buffer;
  if (m.type === "string") value = ggufString(m.value);
  else if (m.type === "bool") value = Buffer.from([m.value ? 1 : 0]);
  else {
    value = Buffer.alloc(4);
    if (m.type === "uint32") value.writeUInt32LE(m.value);
    else if (m.type === "int32") value.writeInt32LE(m.value);
    else value.writeFloatLE(m.value);
  }
  return { key: m.key, bytes: Buffer.concat([ggufString(m.key), u32Buffer(GGUF_TYPE[m.type]), value]) };
}

/** Bytes of a tensor's data: 4 per f32 value, 2 per f16, 34 per block of 32 values in Q8_0. */
export function tensorBytes(dims: readonly number[], type: GgmlTypeName): number {
  const count = dims.reduce((a, b) => a * b, 1);
  if (type === "f32") return count * 4;
  if (type === "f16") return count * 2;
  if ((dims[0] ?? 0) % 32 !== 0) throw new Error(`Q8_0 rows must be a multiple of 32 long, not ${dims[0]}`);
  return (count / 32) * 34;
}

const pad = (n: number): number => (ALIGNMENT - (n % ALIGNMENT)) % ALIGNMENT;

/** Write a GGUF v3 file: metadata records (raw or encoded) and tensors, streamed to disk. */
export async function writeGguf(
  path: string,
  metadata: readonly (RawMetadata | Metadata)[],
  tensors: readonly Tensor[],
): Promise<void> {
  const raw = metadata.map((m) => ("bytes" in m ? m : encodeMetadata(m)));
  const infos: Buffer[] = [];
  let offset = 0;
  for (const t of tensors) {
    infos.push(
      ggufString(t.name),
      u32Buffer(t.dims.length),
      ...t.dims.map(u64Buffer),
      u32Buffer(GGML_TYPE[t.type]),
      u64Buffer(offset),
    );
    const size = tensorBytes(t.dims, t.type);
    offset += size + pad(size);
  }
  const header = Buffer.concat([
    u32Buffer(MAGIC),
    u32Buffer(3),
    u64Buffer(tensors.length),
    u64Buffer(raw.length),
    ...raw.map((m) => m.bytes),
    ...infos,
  ]);
  const handle = await open(path, "w");
  try {
    await handle.write(Buffer.concat([header, Buffer.alloc(pad(header.length))]));
    for (const t of tensors) {
      let written = 0;
      for (const chunk of t.data()) {
        await handle.write(chunk);
        written += chunk.length;
      }
      const size = tensorBytes(t.dims, t.type);
      if (written !== size) throw new Error(`tensor ${t.name}: wrote ${written} bytes, expected ${size}`);
      if (pad(size) > 0) await handle.write(Buffer.alloc(pad(size)));
    }
  } finally {
    await handle.close();
  }
}
