/**
 * Run the built CLI (dist/src/cli.js) as a real child process. `npm test` builds first.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(ROOT, "dist/src/cli.js");
export const SHARED = path.resolve(ROOT, "../shared");
export const DATASETS = path.join(SHARED, "datasets");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    input?: string;
    timeoutMs?: number;
    /** Another copy of the CLI (e.g. an install without optional packages). */
    cli?: string;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.cli ?? CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** `sra generate` arguments for a run against a test server, progress off; `extra` flags go last. */
export function generateArgs(
  run: { url: string; problems: string; out: string; model?: string },
  extra: string[] = [],
): string[] {
  return [
    "generate",
    "--model",
    run.model ?? "gemma-2-2b",
    "--base-url",
    run.url,
    "--problems",
    run.problems,
    "--out",
    run.out,
    "--no-progress",
    ...extra,
  ];
}

/** `sra export --format F --input I --out O` arguments; `extra` flags go last. */
export function exportArgs(format: string, input: string, out: string, extra: string[] = []): string[] {
  return ["export", "--format", format, "--input", input, "--out", out, ...extra];
}
