/**
 * Output locations, checked before the work starts rather than discovered after it: a path under a
 * regular file, a read-only or virtual file system (/proc), a full disk. And the sweep of temporary
 * files that a killed process (SIGKILL, power loss) left beside its outputs: every atomic write in
 * sra goes through `.<name>.<pid>.<...>.tmp` in the target's directory, so they are easy to tell.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { OutputError } from "../errors.js";

/** What to do about a failed write, by errno: the part of the message a person acts on. */
export function hintForWriteError(e: unknown): string | undefined {
  switch ((e as NodeJS.ErrnoException | undefined)?.code) {
    case "ENOSPC":
    case "EDQUOT":
      return "the disk is full: free some space (or write elsewhere), then rerun the same command";
    case "EROFS":
      return "that file system is read-only: write somewhere else";
    case "EACCES":
    case "EPERM":
      return "no permission to write there: write somewhere else, or fix the permissions";
    case "ENOTDIR":
      return "a part of that path is a file, not a directory: choose another path";
    default:
      return undefined;
  }
}

/**
 * `mkdir -p` that always settles. Node 20's `mkdir(dir, { recursive: true })` never settles when the
 * file system answers ENOENT for a directory whose parent exists (/proc, /sys: virtual file systems
 * that refuse new entries): `sra generate --out /proc/run` hung forever. This walks up by itself.
 */
export async function makeDirectory(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  const attempt = async (): Promise<"done" | "no-parent"> => {
    try {
      await fsp.mkdir(abs);
      return "done";
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") {
        if ((await fsp.stat(abs).catch(() => undefined))?.isDirectory()) return "done";
        // "EEXIST: file already exists, mkdir" says less than what is wrong.
        throw Object.assign(new Error(`${abs} is a file, not a directory`), { code: "ENOTDIR", cause: e });
      }
      if (code === "ENOENT" && path.dirname(abs) !== abs) return "no-parent";
      throw e;
    }
  };
  if ((await attempt()) === "done") return;
  await makeDirectory(path.dirname(abs));
  // The parent exists now; a second ENOENT is the file system refusing the entry: an error.
  try {
    await fsp.mkdir(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST" && (await fsp.stat(abs)).isDirectory()) return;
    throw e;
  }
}

function errnoText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Throw an OutputError when `dir` cannot be a directory: it is a file, or one of its ancestors is.
 * Creates nothing (a run that fails its input checks leaves no directory behind).
 */
export async function checkDirPath(dir: string, flag: string): Promise<void> {
  let cur = path.resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = (await fsp.stat(cur)).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Missing, or "not a directory" (an ancestor is a file): look further up.
      if (code === "ENOENT" || code === "ENOTDIR") {
        const parent = path.dirname(cur);
        if (parent === cur) return;
        cur = parent;
        continue;
      }
      throw new OutputError(`${flag} ${dir}: cannot use it: ${errnoText(e)}`, { cause: e });
    }
    if (isDir) return;
    throw new OutputError(
      cur === path.resolve(dir)
        ? `${flag} ${dir} is a file, not a directory`
        : `${flag} ${dir}: ${cur} is a file, not a directory`,
      { hint: `choose a directory path for ${flag} (it is created when missing)` },
    );
  }
}

/** The name of the write probe (`.sra-write-check.<pid>.tmp`). */
const PROBE = "sra-write-check";

/**
 * Create `dir` (and its parents) and prove it takes a write: a small file written, synced and removed.
 * Catches read-only and virtual file systems, permissions and a disk that is already full, before any
 * work is done. Returns whether the directory was created (so a caller that then fails may remove it).
 */
export async function prepareOutputDir(dir: string, flag: string): Promise<{ created: boolean }> {
  await checkDirPath(dir, flag);
  let existed = true;
  try {
    await fsp.stat(dir);
  } catch {
    existed = false;
  }
  try {
    await makeDirectory(dir);
  } catch (e) {
    throw new OutputError(`${flag} ${dir}: cannot create the directory: ${errnoText(e)}`, {
      cause: e,
      hint: hintForWriteError(e) ?? `choose another ${flag}`,
    });
  }
  // A probe of a process killed mid-check would stay forever: sweep those first.
  await removeStaleTempFiles(dir, [PROBE]);
  const probe = path.join(dir, `.${PROBE}.${process.pid}.tmp`);
  try {
    const handle = await fsp.open(probe, "w");
    try {
      // A few KB, synced: on a full disk the data (not just the name) must find room.
      await handle.writeFile(Buffer.alloc(16 * 1024, 0x20));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    await fsp.rm(probe, { force: true }).catch(() => undefined);
    if (!existed) await fsp.rmdir(dir).catch(() => undefined);
    throw new OutputError(`${flag} ${dir}: cannot write there: ${errnoText(e)}`, {
      cause: e,
      hint: hintForWriteError(e) ?? `choose another ${flag}`,
    });
  }
  await fsp.rm(probe, { force: true });
  return { created: !existed };
}

/**
 * The pid in one of our temporary-file names for `target`: `.<target>.<pid>.tmp`,
 * `.<target>.<pid>.<tag>.tmp` or `.<target>.<pid>.filter.tmp`; undefined for any other name. Matched
 * per target, because a tag may be all digits (random hex) and a target name may contain dots.
 */
export function tempFilePid(name: string, target: string): number | undefined {
  const prefix = `.${target}.`;
  if (!name.startsWith(prefix)) return undefined;
  const m = /^(\d+)(?:\.[0-9a-z]+)?\.tmp$/.exec(name.slice(prefix.length));
  return m ? Number(m[1]) : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is just not ours to signal.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove the temporary files a killed sra process left in `dir` for the given target names. A file
 * whose process still runs is left alone (another sra may be writing it); one named with our own pid
 * can only be a leftover of an earlier process that had the same pid, since this is called before we
 * write anything. Returns the names removed.
 */
export async function removeStaleTempFiles(dir: string, targets: readonly string[]): Promise<string[]> {
  let entries: string[];
  try {
    entries = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of entries) {
    const pid = targets.map((t) => tempFilePid(name, t)).find((p) => p !== undefined);
    if (pid === undefined) continue;
    if (pid !== process.pid && isAlive(pid)) continue;
    try {
      const st = await fsp.lstat(path.join(dir, name));
      if (!st.isFile()) continue;
      await fsp.rm(path.join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // gone already, or not ours to remove: harmless either way
    }
  }
  return removed;
}
