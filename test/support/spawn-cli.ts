/**
 * The built CLI as a child process that a crash test kills: spawn it, wait for a moment of its run,
 * SIGKILL it (support/cli.ts's runCli waits for the end instead).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { CLI } from "./cli.js";

export interface SpawnedCli {
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Whether it is still running. */
  running(): boolean;
  /** SIGKILL it unless it exited already; resolves once it is gone, true when it was killed. */
  kill(): Promise<boolean>;
}

export function spawnCli(args: readonly string[]): SpawnedCli {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: "ignore" });
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      done = true;
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    running: () => !done,
    async kill() {
      const killed = !done;
      if (killed) child.kill("SIGKILL");
      await exited;
      return killed;
    },
  };
}

/** Poll `ready` every `everyMs` until it holds or the child exits; true when it held first. */
export async function waitUntil(cli: SpawnedCli, ready: () => boolean, everyMs = 2): Promise<boolean> {
  for (;;) {
    if (!cli.running()) return false;
    if (ready()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The whole lines of a file so far (0 while it does not exist). */
export function linesOf(file: string): number {
  try {
    return readFileSync(file, "utf8").split("\n").length - 1;
  } catch {
    return 0;
  }
}

/**
 * SIGKILL the child once `file` holds `lines` whole lines (or let it be, if it ends first): whether
 * it was killed, and the file's lines then.
 */
export async function killAfterLines(
  cli: SpawnedCli,
  file: string,
  lines: number,
): Promise<{ killed: boolean; lines: number }> {
  await waitUntil(cli, () => linesOf(file) >= lines, 2);
  const killed = await cli.kill();
  return { killed, lines: linesOf(file) };
}

/**
 * Whether the process's main thread is asleep (waiting in epoll for I/O, state "S") and has used no
 * CPU since the last call with the same `last` record. undefined where /proc is not there (not Linux).
 */
export function idleSince(pid: number, last: { ticks?: number }): boolean | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // pid (comm) state ... utime stime: the fields after the ")" that closes the command name.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const idle = fields[0] === "S" && last.ticks === ticks;
  last.ticks = ticks;
  return idle;
}
