/**
 * A real GGUF model for tests and benchmarks, made on the spot: a real tokenizer (and chat template)
 * with a small llama of random weights. No weights can be downloaded here, and the engine needs no
 * more than this to load, tokenize, batch and decode for real; the replies are random text.
 *
 * The tokenizer comes from llama.cpp's own test vocabularies (`models/ggml-vocab-*.gguf`, tokenizer
 * entries only), which node-llama-cpp ships inside its copy of the llama.cpp sources
 * (`llama/gitRelease.bundle`, a git bundle). Both the extracted vocabulary and each model made are
 * cached under node_modules/.cache/sra-tests, keyed by what made them, and written atomically, so
 * a test run (and its parallel workers) pays for each once.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./cli.js";
import {
  type GgmlTypeName,
  type Metadata,
  readMetadata,
  type Tensor,
  tensorBytes,
  writeGguf,
} from "./gguf-file.js";

const run = promisify(execFile);

export const TEST_CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "sra-tests");

/** llama.cpp's test vocabularies: qwen2 (151,936 tokens, ChatML template), llama-spm (32,000, none). */
export type VocabName = "qwen2" | "llama-spm";

export interface TinyModelShape {
  vocab: VocabName;
  /** Width of the residual stream. */
  embedding: number;
  layers: number;
  heads: number;
  kvHeads: number;
  feedForward: number;
  contextLength: number;
  type: GgmlTypeName;
  seed: number;
}

/** The default: 2 layers, width 32, f32; about 20 MB with the qwen2 vocabulary. */
export const TINY_SHAPE: TinyModelShape = {
  vocab: "qwen2",
  embedding: 32,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  feedForward: 64,
  contextLength: 4096,
  type: "f32",
  seed: 1,
};

/**
 * The shape of Qwen2.5-0.5B (24 layers, width 896, 14 heads, 2 KV heads) in Q8_0, about 530 MB:
 * a model whose decoding costs what a real small model's does (for the thread benchmark).
 */
export const QWEN05B_SHAPE: TinyModelShape = {
  vocab: "qwen2",
  embedding: 896,
  layers: 24,
  heads: 14,
  kvHeads: 2,
  feedForward: 4864,
  contextLength: 32768,
  type: "q8_0",
  seed: 1,
};

function nodeLlamaCppRoot(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const main = require.resolve("node-llama-cpp");
  let dir = path.dirname(main);
  while (path.basename(dir) !== "node-llama-cpp") dir = path.dirname(dir);
  const version = (require(path.join(dir, "package.json")) as { version: string }).version;
  return { dir, version };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Write `data` to `file` through a temporary name, so a reader never sees half a file. */
async function writeAtomically(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await write(tmp);
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The tokenizer-only GGUF `models/ggml-vocab-<name>.gguf`, extracted once from node-llama-cpp's bundle. */
export async function vocabFile(name: VocabName): Promise<string> {
  const { dir, version } = nodeLlamaCppRoot();
  const file = path.join(TEST_CACHE_DIR, `ggml-vocab-${name}-${version}.gguf`);
  if (await exists(file)) return file;
  await mkdir(TEST_CACHE_DIR, { recursive: true });
  const clone = await mkdtemp(path.join(os.tmpdir(), "sra-llama-bundle-"));
  try {
    const bundle = path.join(dir, "llama", "gitRelease.bundle");
    await run("git", ["clone", "--quiet", "--no-checkout", bundle, clone]);
    const blob = await run("git", ["-C", clone, "show", `HEAD:models/ggml-vocab-${name}.gguf`], {
      encoding: "buffer",
      maxBuffer: 64 * 1024 * 1024,
    });
    await writeAtomically(file, (tmp) => writeFile(tmp, blob.stdout));
  } finally {
    await rm(clone, { recursive: true, force: true });
  }
  return file;
}

/** A seeded stream of 32-bit words (mulberry32): the same seed gives the same weights. */
function wordStream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A float as IEEE half precision bits (round toward zero; enough for a scale factor). */
function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  if (exponent <= 0) return sign;
  if (exponent >= 31) return sign | 0x7c00;
  return sign | (exponent << 10) | ((bits >>> 13) & 0x3ff);
}

const CHUNK_VALUES = 1 << 20;

/** Random values uniform in [-scale, scale], as a tensor of the given type. */
function randomTensor(name: string, dims: number[], type: GgmlTypeName, scale: number, seed: number): Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  return {
    name,
    dims,
    type,
    *data() {
      const next = wordStream(seed);
      if (type === "q8_0") {
        // Blocks of 32 values: an f16 scale, then 32 signed bytes. Random bytes with one scale are
        // random weights uniform in [-scale, scale]: nothing to quantize.
        const half = toHalf(scale / 127);
        const blocks = count / 32;
        for (let done = 0; done < blocks; ) {
          const n = Math.min(blocks - done, CHUNK_VALUES / 32);
          const buf = Buffer.alloc(n * 34);
          for (let b = 0; b < n; b++) {
            buf.writeUInt16LE(half, b * 34);
            for (let i = 0; i < 32; i += 4) buf.writeUInt32LE(next(), b * 34 + 2 + i);
          }
          done += n;
          yield buf;
        }
        return;
      }
      for (let done = 0; done < count; ) {
        const n = Math.min(count - done, CHUNK_VALUES);
        const values = new Float32Array(n);
        for (let i = 0; i < n; i++) values[i] = ((next() / 4294967296) * 2 - 1) * scale;
        done += n;
        yield type === "f32" ? Buffer.from(values.buffer) : toHalfBuffer(values);
      }
    },
  };
}

function toHalfBuffer(values: Float32Array): Buffer {
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) out.writeUInt16LE(toHalf(values[i] as number), i * 2);
  return out;
}

/** A tensor of ones (the RMS norms' weights), always f32 as llama.cpp keeps norms. */
function onesTensor(name: string, length: number): Tensor {
  return {
    name,
    dims: [length],
    type: "f32",
    *data() {
      yield Buffer.from(new Float32Array(length).fill(1).buffer);
    },
  };
}

function llamaTensors(s: TinyModelShape, vocabSize: number): Tensor[] {
  const d = s.embedding;
  const kv = (d / s.heads) * s.kvHeads;
  let seed = s.seed * 1000;
  const weight = (name: string, dims: number[]): Tensor =>
    randomTensor(name, dims, s.type, Math.sqrt(3 / (dims[0] as number)), seed++);
  const tensors: Tensor[] = [randomTensor("token_embd.weight", [d, vocabSize], s.type, 1, seed++)];
  for (let i = 0; i < s.layers; i++) {
    tensors.push(
      onesTensor(`blk.${i}.attn_norm.weight`, d),
      weight(`blk.${i}.attn_q.weight`, [d, d]),
      weight(`blk.${i}.attn_k.weight`, [d, kv]),
      weight(`blk.${i}.attn_v.weight`, [d, kv]),
      weight(`blk.${i}.attn_output.weight`, [d, d]),
      onesTensor(`blk.${i}.ffn_norm.weight`, d),
      weight(`blk.${i}.ffn_gate.weight`, [d, s.feedForward]),
      weight(`blk.${i}.ffn_up.weight`, [d, s.feedForward]),
      weight(`blk.${i}.ffn_down.weight`, [s.feedForward, d]),
    );
  }
  // No output.weight: llama.cpp ties the output layer to the token embeddings.
  tensors.push(onesTensor("output_norm.weight", d));
  return tensors;
}

function llamaMetadata(s: TinyModelShape, vocabSize: number, name: string): Metadata[] {
  const u32 = (key: string, value: number): Metadata => ({ key, type: "uint32", value });
  return [
    { key: "general.architecture", type: "string", value: "llama" },
    { key: "general.name", type: "string", value: name },
    u32("general.file_type", s.type === "f32" ? 0 : s.type === "f16" ? 1 : 7),
    u32("llama.context_length", s.contextLength),
    u32("llama.embedding_length", s.embedding),
    u32("llama.block_count", s.layers),
    u32("llama.feed_forward_length", s.feedForward),
    u32("llama.attention.head_count", s.heads),
    u32("llama.attention.head_count_kv", s.kvHeads),
    u32("llama.rope.dimension_count", s.embedding / s.heads),
    u32("llama.vocab_size", vocabSize),
    { key: "llama.attention.layer_norm_rms_epsilon", type: "float32", value: 1e-6 },
    { key: "llama.rope.freq_base", type: "float32", value: 10000 },
  ];
}

/** Tokens in a vocabulary file: the length of its tokenizer.ggml.tokens array. */
function vocabSize(records: ReturnType<typeof readMetadata>): number {
  const tokens = records.find((r) => r.key === "tokenizer.ggml.tokens");
  if (!tokens) throw new Error("the vocabulary file has no tokenizer.ggml.tokens");
  // key string (8 + length), value type (4), item type (4), then the u64 count.
  return Number(tokens.bytes.readBigUInt64LE(8 + Buffer.byteLength(tokens.key) + 8));
}

/**
 * The path of a random-weight llama GGUF of this shape with a real tokenizer, made once and cached.
 * `overrides` change the default shape (TINY_SHAPE).
 */
export async function tinyGguf(overrides: Partial<TinyModelShape> = {}): Promise<string> {
  const shape: TinyModelShape = { ...TINY_SHAPE, ...overrides };
  const vocab = await vocabFile(shape.vocab);
  const key = createHash("sha256").update(JSON.stringify(shape)).update(vocab).digest("hex").slice(0, 12);
  const file = path.join(
    TEST_CACHE_DIR,
    `tiny-${shape.vocab}-${shape.layers}x${shape.embedding}-${key}.gguf`,
  );
  if (await exists(file)) return file;
  const vocabBytes = await readFile(vocab);
  const records = readMetadata(vocabBytes);
  const size = vocabSize(records);
  const tokenizer = records.filter((r) => r.key.startsWith("tokenizer."));
  const tensors = llamaTensors(shape, size);
  const name = `sra-test-${shape.vocab}-${shape.layers}x${shape.embedding}`;
  await writeAtomically(file, (tmp) =>
    writeGguf(tmp, [...llamaMetadata(shape, size, name), ...tokenizer], tensors),
  );
  return file;
}

/** Bytes a model of this shape takes on disk (tensor data only), for sizing benchmarks. */
export function modelBytes(shape: TinyModelShape, vocab: number): number {
  return llamaTensors(shape, vocab).reduce((sum, t) => sum + tensorBytes(t.dims, t.type), 0);
}
