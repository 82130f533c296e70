/**
 * One `sra generate` per run directory.
 *
 * Two processes writing to one --out (a Slurm array whose tasks were given the same directory, a
 * rerun started while the first is still going) would both pick the same unfinished problems, pay
 * for them twice and append duplicates. So generate holds `generate.lock` in the run directory for
 * as long as it runs: created atomically (written to a temporary file, then hard-linked into place,
 * which fails if a lock exists), refreshed every few seconds, removed when the run ends.
 *
 * A lock left by a process that died without removing it (SIGKILL, a lost node) is stale and taken
 * over: on the same host when its pid no longer runs; on any host when it has not been refreshed for
 * `staleMs` (a live holder refreshes it every `refreshMs`, so a shared file system across nodes works
 * too). Otherwise the second process stops at once with the holder's pid, host and start time.
 */
import * as fsp from "node:fs/promises";
import { hostname } from "node:os";
import * as path from "node:path";
import { OutputError } from "../errors.js";
import { RUN_FILES } from "../run-dir/layout.js";
import { hintForWriteError } from "../util/output-dir.js";
import { parseJson } from "../util/parse-json.js";

export const RUN_LOCK_FILE = RUN_FILES.lock;

export interface RunLockOwner {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export interface RunLock {
  readonly file: string;
  /** Stops refreshing and removes the lock (if it is still ours). Safe to call twice. */
  release(): Promise<void>;
}

export interface RunLockOptions {
  /** How often a holder refreshes the lock's mtime (default 10 s). */
  refreshMs?: number;
  /** A lock not refreshed for this long is stale on any host (default 60 s). */
  staleMs?: number;
  now?: () => number;
  /** Whether a pid runs on this host (default: process.kill(pid, 0)). */
  isAlive?: (pid: number) => boolean;
  /** The lock file's name in the directory (default generate.lock; sra eval holds eval.lock). */
  fileName?: string;
  /** The command that holds such locks, for the message (default "sra generate"). */
  holder?: string;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is just not ours to signal.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseOwner(text: string): RunLockOwner | undefined {
  const parsed = parseJson(text);
  if (!parsed.ok || typeof parsed.value !== "object" || parsed.value === null) return undefined;
  const v = parsed.value as Partial<RunLockOwner>;
  if (typeof v.pid !== "number" || typeof v.host !== "string") return undefined;
  return {
    pid: v.pid,
    host: v.host,
    startedAt: typeof v.startedAt === "string" ? v.startedAt : "?",
    command: typeof v.command === "string" ? v.command : "?",
  };
}

/** Why an existing lock may be taken over, or undefined when its holder may still be running. */
function staleness(
  owner: RunLockOwner | undefined,
  ageMs: number,
  o: Required<Pick<RunLockOptions, "staleMs" | "isAlive">>,
): string | undefined {
  if (ageMs > o.staleMs) return `not refreshed for ${Math.round(ageMs / 1000)} s`;
  if (owner && owner.host === hostname() && owner.pid !== process.pid && !o.isAlive(owner.pid)) {
    return `process ${owner.pid} is gone`;
  }
  // Unreadable (torn by a crash while it was being replaced) but recent: wait for it to age.
  return undefined;
}

/**
 * Take the run directory's lock (the directory must exist). Throws OutputError naming the holder when
 * another live process has it. Returns the stale holder it replaced, if any, for the log.
 */
export async function acquireRunLock(
  dir: string,
  options: RunLockOptions = {},
): Promise<RunLock & { replaced?: { owner?: RunLockOwner; why: string } }> {
  const refreshMs = options.refreshMs ?? 10_000;
  const staleMs = options.staleMs ?? 60_000;
  const now = options.now ?? Date.now;
  const isAlive = options.isAlive ?? isProcessAlive;
  const lockName = options.fileName ?? RUN_LOCK_FILE;
  const file = path.join(dir, lockName);
  const owner: RunLockOwner = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date(now()).toISOString(),
    command: ["sra", ...process.argv.slice(2, 3)].join(" "),
  };
  const content = `${JSON.stringify(owner)}\n`;
  const tmp = path.join(dir, `.${lockName}.${process.pid}.${now()}.tmp`);
  let replaced: { owner?: RunLockOwner; why: string } | undefined;
  try {
    await fsp.writeFile(tmp, content, { flag: "wx" });
    for (let attempt = 0; ; attempt++) {
      try {
        // link(2) fails with EEXIST when a lock is there: the whole file appears at once, or not at all.
        await fsp.link(tmp, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 5) throw e;
      }
      const [text, stat] = await Promise.all([
        fsp.readFile(file, "utf8").catch(() => ""),
        fsp.stat(file).catch(() => undefined),
      ]);
      if (!stat) continue; // released meanwhile: try again
      const held = parseOwner(text);
      const why = staleness(held, now() - stat.mtimeMs, { staleMs, isAlive });
      if (why === undefined) {
        const who = held
          ? `process ${held.pid} on ${held.host}, started ${held.startedAt}`
          : "another process (its lock file is unreadable)";
        throw new OutputError(`${dir} is in use by another ${options.holder ?? "sra generate"} (${who})`, {
          hint:
            `wait for it to finish, or write to another --out directory (each shard needs its own). ` +
            `If no such process runs any more, remove ${file}`,
        });
      }
      // Move the stale lock aside rather than delete it: if two processes both judged it stale, only
      // one rename succeeds on the same file, and the other retries against whatever is there now.
      const aside = path.join(dir, `.${lockName}.${process.pid}.${now()}.stale.tmp`);
      if (
        await fsp.rename(file, aside).then(
          () => true,
          () => false,
        )
      ) {
        await fsp.rm(aside, { force: true });
        replaced = { ...(held ? { owner: held } : {}), why };
      }
    }
  } catch (e) {
    if (e instanceof OutputError) throw e;
    const hint = hintForWriteError(e);
    throw new OutputError(`cannot write to ${dir}: ${(e as Error).message}`, {
      cause: e,
      ...(hint ? { hint } : {}),
    });
  } finally {
    await fsp.rm(tmp, { force: true });
  }

  const refresh = setInterval(() => {
    const t = new Date(now());
    void fsp.utimes(file, t, t).catch(() => undefined);
  }, refreshMs);
  refresh.unref();
  let released = false;
  return {
    file,
    ...(replaced ? { replaced } : {}),
    async release() {
      if (released) return;
      released = true;
      clearInterval(refresh);
      // Only our own lock: a process that judged ours stale (a very long stall) may hold it now.
      const text = await fsp.readFile(file, "utf8").catch(() => "");
      const current = parseOwner(text);
      if (
        current?.pid === owner.pid &&
        current.host === owner.host &&
        current.startedAt === owner.startedAt
      ) {
        await fsp.rm(file, { force: true });
      }
    },
  };
}
