/**
 * sra's one cache: a root directory with one folder per kind of file it downloads once and keeps.
 *
 *   root      --cache-dir, else $SRA_CACHE_DIR, else $XDG_CACHE_HOME/sra, else ~/.cache/sra
 *   datasets  the benchmarks decontaminate (and eval) compare against
 *   models    GGUF files of the in-process engine
 *   expected  eval's canonical outputs
 *
 * Until the engine came, $SRA_CACHE_DIR (and --cache-dir) named the datasets folder itself. Files a
 * user put there are still found: datasetCacheDirs() lists the root as a second place to look in,
 * below `datasets/`, and downloads go to `datasets/`. Pure apart from reading the environment given.
 */
import * as os from "node:os";
import * as path from "node:path";

export const CACHE_KINDS = ["datasets", "models", "expected"] as const;
export type CacheKind = (typeof CACHE_KINDS)[number];

/** The cache root: `explicit` (a --cache-dir), else $SRA_CACHE_DIR, else the XDG cache, else ~/.cache/sra. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  if (explicit !== undefined && explicit !== "") return path.resolve(explicit);
  if (env.SRA_CACHE_DIR) return path.resolve(env.SRA_CACHE_DIR);
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "sra");
}

/** The folder of one kind of cached file under the root. */
export function cacheDir(kind: CacheKind, env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  return path.join(cacheRoot(env, explicit), kind);
}

/**
 * Where cached datasets are read from, in order: `<root>/datasets`, then the root itself (the old
 * layout, where $SRA_CACHE_DIR was the datasets folder). Downloads go to the first.
 */
export function datasetCacheDirs(env: NodeJS.ProcessEnv = process.env, explicit?: string): string[] {
  const root = cacheRoot(env, explicit);
  return [path.join(root, "datasets"), root];
}
