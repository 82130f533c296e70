/**
 * Which GGUF file the in-process engine loads: a local file (--gguf PATH) as it is, or a preset's
 * GGUF source (a Hugging Face repo and quantisation) resolved and downloaded by node-llama-cpp's own
 * resolver (`resolveModelFile`) into sra's model cache, `$SRA_CACHE_DIR/models` (else
 * `$XDG_CACHE_HOME/sra/models`, else `~/.cache/sra/models`). A cached file is used without asking the
 * network. node-llama-cpp honours `HF_ENDPOINT` (a mirror) and `HF_TOKEN` (gated repos).
 *
 * A download that cannot happen (offline, not found, no progress for `stallMs`) is one
 * ModelDownloadError line naming what could not be downloaded and the two ways out.
 */
import { open, stat } from "node:fs/promises";
import * as path from "node:path";
import { cannotReadError, describeError, InputError, ModelDownloadError, UsageError } from "../../errors.js";
import { cacheDir } from "../../util/cache-dir.js";
import type { GgufSource } from "../presets.js";
import type { NodeLlamaCppModule } from "./load-engine.js";

/** The resolver's URI for a source: `hf:<user>/<repo>:<quant>`. */
export function ggufUri(source: GgufSource): string {
  return `hf:${source.repo}:${source.quant}`;
}

/** The cache's models folder (src/util/cache-dir.ts): `$SRA_CACHE_DIR/models`, else ~/.cache/sra/models. */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return cacheDir("models", env);
}

/** Where a model file came from. */
export type ModelOrigin = "local" | "cache" | "download";

export interface ModelFile {
  path: string;
  bytes: number;
  origin: ModelOrigin;
  /** The source's URI (absent for --gguf). */
  uri?: string;
}

export interface DownloadProgress {
  uri: string;
  downloadedBytes: number;
  totalBytes: number;
}

export interface ResolveModelOptions {
  /** --gguf PATH: used as it is. */
  localPath?: string;
  /** The preset's name (for messages) and GGUF source. */
  model: { name: string; gguf?: GgufSource | undefined };
  modelsDir: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Give up a download that has received nothing for this long (default 30 s). */
  stallMs?: number;
  /** Where Hugging Face is (default: node-llama-cpp's, which honours $HF_ENDPOINT). */
  huggingFaceEndpoint?: string;
  signal?: AbortSignal;
}

export const DEFAULT_STALL_MS = 30_000;

const GGUF_MAGIC = "GGUF";

/** A --gguf file as it is, once it is known to be a readable file that starts like a GGUF. */
export async function checkLocalGguf(file: string): Promise<ModelFile> {
  let bytes: number;
  const head = Buffer.alloc(4);
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new InputError("is not a file", { file, field: "--gguf" });
    bytes = info.size;
    const handle = await open(file, "r");
    try {
      await handle.read(head, 0, 4, 0);
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw cannotReadError(e, "GGUF model file", { file, field: "--gguf" });
  }
  if (head.toString("latin1") !== GGUF_MAGIC) {
    throw new InputError("not a GGUF model file (it does not start with GGUF)", { file, field: "--gguf" });
  }
  return { path: path.resolve(file), bytes, origin: "local" };
}

/** The cached file for a source, without touching the network; undefined when it is not cached. */
export async function findCachedModel(
  engine: NodeLlamaCppModule,
  source: GgufSource,
  modelsDir: string,
): Promise<string | undefined> {
  try {
    return await engine.resolveModelFile(ggufUri(source), {
      directory: modelsDir,
      download: false,
      cli: false,
    });
  } catch {
    return undefined;
  }
}

/**
 * The model file to load: --gguf, else the preset's source from the cache, else downloaded (with
 * progress) into the cache.
 */
export async function resolveGguf(
  engine: NodeLlamaCppModule,
  options: ResolveModelOptions,
): Promise<ModelFile> {
  if (options.localPath !== undefined) return checkLocalGguf(options.localPath);
  const source = options.model.gguf;
  if (!source) {
    throw new UsageError(
      `model "${options.model.name}" has no GGUF source for the in-process engine: give a local file with --gguf PATH, or use a server with --base-url URL`,
    );
  }
  const uri = ggufUri(source);
  const cached = await findCachedModel(engine, source, options.modelsDir);
  if (cached) return { path: cached, bytes: (await stat(cached)).size, origin: "cache", uri };
  const file = await download(engine, uri, options);
  return { path: file, bytes: (await stat(file)).size, origin: "download", uri };
}

async function download(
  engine: NodeLlamaCppModule,
  uri: string,
  options: ResolveModelOptions,
): Promise<string> {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  // node-llama-cpp's downloader retries a connection that never answers for minutes; a stall timer
  // that every byte of progress resets turns that into a clear failure.
  const stall = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    const wait = stallMs >= 1000 ? `${Math.round(stallMs / 1000)} s` : `${stallMs} ms`;
    timer = setTimeout(() => stall.abort(new Error(`no data for ${wait}`)), stallMs);
  };
  const signal = options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal;
  arm();
  // The resolver does not pass the signal to its first request (the repo's manifest), so a stall
  // there is raced rather than cancelled; the hung request dies with the process.
  const stopped = new Promise<never>((_, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  const resolving = engine.resolveModelFile(uri, {
    directory: options.modelsDir,
    cli: false,
    signal,
    ...(options.huggingFaceEndpoint ? { endpoints: { huggingFace: options.huggingFaceEndpoint } } : {}),
    onProgress: ({ totalSize, downloadedSize }) => {
      arm();
      options.onProgress?.({ uri, downloadedBytes: downloadedSize, totalBytes: totalSize });
    },
  });
  resolving.catch(() => undefined); // settled late after a stall: nobody listens any more
  try {
    return await Promise.race([resolving, stopped]);
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason;
    const reason = stall.signal.aborted ? describeError(stall.signal.reason) : describeError(e);
    throw new ModelDownloadError(
      `cannot download the model for "${options.model.name}" (${uri}) into ${options.modelsDir}: ${oneLine(reason)}; use a local file with --gguf PATH, or a server with --base-url URL`,
      { cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** The resolver's reason on one line, without its restatement of the URI. */
function oneLine(text: string): string {
  const manifest = /^Failed to fetch manifest for (?:resolving URI )?"[^"]*": (?:TypeError: )?(.*)$/s.exec(
    text.trim(),
  );
  const reason = manifest ? `cannot fetch the repo's file list (${manifest[1]})` : text;
  const line = reason.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/** "312.4 MB / 491.4 MB (64%)": a download's progress for a status line. Pure. */
export function formatDownloadProgress(p: DownloadProgress): string {
  const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
  if (p.totalBytes <= 0) return `${mb(p.downloadedBytes)}`;
  const pct = Math.floor((100 * p.downloadedBytes) / p.totalBytes);
  return `${mb(p.downloadedBytes)} / ${mb(p.totalBytes)} (${pct}%)`;
}

/** A preset's GGUF source and whether it is in the cache, for `sra models`. */
export interface PresetModelFile {
  preset: string;
  /** The source's URI; undefined for a model without one. */
  uri: string | undefined;
  /** undefined when it cannot be told (no source, or the engine is not installed). */
  cached: boolean | undefined;
  path?: string;
  bytes?: number;
}

/** Each preset's GGUF source and cache state, without touching the network. */
export async function presetModelFiles(
  presets: readonly { name: string; gguf?: GgufSource | undefined }[],
  options: { modelsDir: string; engine: NodeLlamaCppModule | undefined },
): Promise<PresetModelFile[]> {
  const { engine, modelsDir } = options;
  return Promise.all(
    presets.map(async (p): Promise<PresetModelFile> => {
      if (!p.gguf) return { preset: p.name, uri: undefined, cached: undefined };
      const uri = ggufUri(p.gguf);
      if (!engine) return { preset: p.name, uri, cached: undefined };
      const file = await findCachedModel(engine, p.gguf, modelsDir);
      if (!file) return { preset: p.name, uri, cached: false };
      return { preset: p.name, uri, cached: true, path: file, bytes: (await stat(file)).size };
    }),
  );
}
