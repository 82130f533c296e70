/**
 * One long-lived Python process of the executor (`serve`: the zygote that forks a sandboxed child per
 * check; `judge`: the trusted comparer), spoken to in frames over its stdin and stdout. Requests are
 * answered in order; a process that dies fails what it had in hand with an ExecutorError carrying the
 * end of its stderr, and is replaced by the pool on next use.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { ExecutorError } from "../errors.js";
import { packageRoot } from "../util/package-root.js";
import { type Blob, encodeFrame, type Frame, FrameReader } from "./frames.js";

export type HarnessMode = "serve" | "judge";

/** The harness shipped in the package: src/execute/harness (found from src/ under tsx and from dist/). */
export function harnessMain(): string {
  return path.join(packageRoot(), "src", "execute", "harness", "__main__.py");
}

/** The environment the executor's processes start with: nothing of the user's but PATH. */
export function harnessEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    // One string-hash seed for every process, as evalplus's forked checkers share their parent's:
    // a sample whose output order follows a set of strings then matches the canonical run's order.
    PYTHONHASHSEED: "0",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  };
}

interface Pending {
  resolve: (frame: Frame) => void;
  reject: (error: Error) => void;
}

const STDERR_KEPT = 8192;

export class HarnessProcess {
  private readonly child: ChildProcess;
  private readonly reader = new FrameReader();
  private readonly pending: Pending[] = [];
  private stderrTail = "";
  private exitError: ExecutorError | undefined;
  readonly ready: Promise<Record<string, unknown>>;

  constructor(
    python: string,
    readonly mode: HarnessMode,
    options: Record<string, unknown>,
  ) {
    this.child = spawn(python, ["-s", "-B", harnessMain(), mode, JSON.stringify(options)], {
      env: harnessEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.ready = new Promise((resolve, reject) =>
      this.pending.push({ resolve: (f) => resolve(f.header), reject }),
    );
    this.child.stdout?.on("data", (chunk: Buffer) => this.onData(chunk));
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_KEPT);
    });
    this.child.stdin?.on("error", () => undefined); // a dead process: reported through "exit"
    this.child.on("error", (e) => this.fail(new ExecutorError(`cannot start ${python}: ${e.message}`)));
    this.child.on("exit", (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      const tail = this.stderrTail.trim().split("\n").slice(-5).join("\n");
      this.fail(new ExecutorError(`the executor's ${this.mode} process ${how}${tail ? `:\n${tail}` : ""}`));
    });
  }

  get alive(): boolean {
    return this.exitError === undefined;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.fail(
        new ExecutorError(`the executor's ${this.mode} process broke the protocol: ${(e as Error).message}`),
      );
      this.child.kill("SIGKILL");
      return;
    }
    for (const frame of frames) this.pending.shift()?.resolve(frame);
  }

  private fail(error: ExecutorError): void {
    this.exitError ??= error;
    for (const p of this.pending.splice(0)) p.reject(this.exitError);
  }

  request(header: Record<string, unknown>, blobs: readonly Blob[] = []): Promise<Frame> {
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin?.write(encodeFrame(header, blobs));
    });
  }

  /** Close stdin (the process ends its loop and exits); kill it if it has not gone after `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}
