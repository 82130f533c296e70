/**
 * Benchmark files: found locally, or fetched once into a cache (an I/O edge shared by
 * `sra decontaminate` and `sra eval`).
 *
 * Lookup order for a built-in benchmark: --datasets-dir, then $SRA_DATASETS_DIR (under the usual file
 * names), then the cache (`datasets/` under sra's cache root, src/util/cache-dir.ts; then the root itself,
 * where the files lived before the root held models too), then a download from the
 * pinned origin (or from a mirror: --datasets-url / $SRA_DATASETS_URL + "/" + file name). A download is
 * checked against the pinned sha256 before it is written (tmp file + rename), so a torn or tampered
 * download is never used; a cached file is checked again on every use.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { InputError, SraError } from "../errors.js";
import { datasetCacheDirs } from "../util/cache-dir.js";
import { writeFileAtomic } from "../util/jsonl.js";
import { parsePythonJson } from "../util/python-json.js";
import type { BenchmarkFile } from "./sources.js";

/** A benchmark file that could not be found, fetched or verified (exit 1). */
export class BenchmarkFetchError extends SraError {
  readonly exitCode = 1;
}

export interface DatasetSources {
  /** Directories searched first, in order (--datasets-dir, $SRA_DATASETS_DIR). */
  dirs: string[];
  /** Where downloads are kept (and looked for first). */
  cacheDir: string;
  /** Older cache folders, looked in after `cacheDir` (the root of the cache's old layout); never written. */
  legacyCacheDirs?: string[];
  /** A mirror that replaces the origin: files are fetched from `${baseUrl}/${fileName}`. */
  baseUrl: string | undefined;
  /** Milliseconds for a whole download (default 120 s). */
  timeoutMs?: number;
  /** Where "fetched ..." notes go (the command passes stderr). */
  notify: (message: string) => void;
  fetch?: typeof fetch;
}

/** The datasets folder of the cache, and the root where the old layout kept them (`--cache-dir` = the root). */
export function datasetCaches(
  env: NodeJS.ProcessEnv = process.env,
  root?: string,
): Pick<DatasetSources, "cacheDir" | "legacyCacheDirs"> {
  const [cacheDir, ...legacyCacheDirs] = datasetCacheDirs(env, root) as [string, ...string[]];
  return { cacheDir, legacyCacheDirs };
}

export function sha256Of(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function formatBytes(n: number): string {
  return `${n.toLocaleString("en-US")} bytes`;
}

/** The local copy of a built-in in one directory: its pinned file name first, then the patterns. */
export function findLocal(spec: BenchmarkFile, dir: string): string | undefined {
  const exact = path.join(dir, spec.fileName);
  if (existsSync(exact)) return exact;
  if (spec.localPatterns.length === 0) return undefined;
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return undefined;
  }
  for (const pattern of spec.localPatterns) {
    const hit = names.find((n) => pattern.test(n));
    if (hit) return path.join(dir, hit);
  }
  return undefined;
}

async function download(
  spec: BenchmarkFile,
  sources: DatasetSources,
): Promise<{ file: string; data: Buffer }> {
  const url = sources.baseUrl ? `${sources.baseUrl.replace(/\/+$/, "")}/${spec.fileName}` : spec.url;
  const hint = `download ${spec.fileName} yourself (${spec.url}) into a directory and pass --datasets-dir DIR`;
  const doFetch = sources.fetch ?? fetch;
  let data: Buffer;
  try {
    const res = await doFetch(url, { signal: AbortSignal.timeout(sources.timeoutMs ?? 120_000) });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new BenchmarkFetchError(
        `cannot fetch ${spec.name}: ${url} answered ${res.status} ${res.statusText}`,
        {
          hint,
        },
      );
    }
    data = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    if (e instanceof BenchmarkFetchError) throw e;
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why =
      err.name === "TimeoutError" ? "timed out" : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw new BenchmarkFetchError(`cannot fetch ${spec.name} from ${url}: ${why}`, { hint, cause: e });
  }
  const sha = sha256Of(data);
  if (sha !== spec.sha256) {
    throw new BenchmarkFetchError(
      `sha256 mismatch for ${spec.name} from ${url}: expected ${spec.sha256}, got ${sha} (${formatBytes(data.length)}); nothing was cached`,
      { hint },
    );
  }
  const file = path.join(sources.cacheDir, spec.fileName);
  await writeFileAtomic(file, data);
  sources.notify(`fetched ${spec.name}: ${url} (${formatBytes(data.length)}, sha256 ${sha}) -> ${file}`);
  return { file, data };
}

/** The bytes of a built-in benchmark, from wherever they are first found. */
export async function locateBuiltin(
  spec: BenchmarkFile,
  sources: DatasetSources,
): Promise<{ file: string; data: Buffer; origin: "local" | "cache" | "download" }> {
  for (const dir of sources.dirs) {
    const file = findLocal(spec, dir);
    if (file) {
      const data = await fsp.readFile(file);
      const sha = sha256Of(data);
      if (sha !== spec.sha256) {
        sources.notify(
          `note: ${spec.name}: using ${file}, whose sha256 ${sha.slice(0, 12)}… differs from the pinned ${spec.sha256.slice(0, 12)}… (another version?)`,
        );
      }
      return { file, data, origin: "local" };
    }
  }
  for (const dir of [sources.cacheDir, ...(sources.legacyCacheDirs ?? [])]) {
    const cached = path.join(dir, spec.fileName);
    if (!existsSync(cached)) continue;
    const data = await fsp.readFile(cached);
    if (sha256Of(data) === spec.sha256) return { file: cached, data, origin: "cache" };
    sources.notify(
      `note: ${spec.name}: cached ${cached} does not match its pinned sha256; fetching it again`,
    );
  }
  return { ...(await download(spec, sources)), origin: "download" };
}

/** Parse a benchmark file's bytes: gzip (by magic number), then a JSON array or JSON Lines. */
export function parseRecords(data: Buffer, file: string): unknown[] {
  let text = gunzipIfNeeded(data, file).toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trimStart().startsWith("[")) {
    const parsed = parsePythonJson(text);
    if (!parsed.ok) throw new InputError(`invalid JSON: ${parsed.error}`, { file });
    if (!Array.isArray(parsed.value)) throw new InputError("expected a JSON array", { file });
    return parsed.value as unknown[];
  }
  const records: unknown[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const parsed = parsePythonJson(line);
    if (!parsed.ok) throw new InputError(`invalid JSON: ${parsed.error}`, { file, line: i + 1 });
    records.push(parsed.value);
  }
  return records;
}

/** The bytes of a file, gunzipped when they start with gzip's magic number. */
export function gunzipIfNeeded(data: Buffer, file: string): Buffer {
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
    try {
      return gunzipSync(data);
    } catch (e) {
      throw new InputError(`not a valid gzip file: ${(e as Error).message}`, { file });
    }
  }
  return data;
}
