import * as fsp from "node:fs/promises";
import { generateArgs as cliGenerateArgs } from "./cli.js";

export { readJsonlStrict, readJsonlTolerant } from "./jsonl-files.js";

import { MODEL } from "./tagged-problems.js";

export { MODEL, taggedQuestion, tagOf, writeProblems } from "./tagged-problems.js";

/**
 * A --config file with a retry policy in milliseconds, so faults cost little test time
 * (`server.retry` is a documented config key; the defaults wait 1 s doubling to 30 s).
 */
export async function writeFastRetryConfig(
  file: string,
  retry: { maxAttempts?: number; initialDelayMs?: number; maxDelayMs?: number } = {},
  extra: Record<string, unknown> = {},
): Promise<string> {
  await fsp.writeFile(
    file,
    JSON.stringify({
      ...extra,
      server: { retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 40, ...retry } },
    }),
  );
  return file;
}

/** `sra generate` arguments (support/cli.ts's) for the fault suites: MODEL, 3 iterations, a --config. */
export function generateArgs(o: {
  url: string;
  problems: string;
  out: string;
  config?: string;
  extra?: string[];
}): string[] {
  return cliGenerateArgs({ url: o.url, problems: o.problems, out: o.out, model: MODEL }, [
    "--iterations",
    "3",
    ...(o.config ? ["--config", o.config] : []),
    ...(o.extra ?? []),
  ]);
}

export function ids(records: { id?: unknown }[]): string[] {
  return records.map((r) => r.id as string);
}

/** Stderr lines that are neither blank nor commander's "(run with --help ...)" footer. */
export function stderrLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("(run with --help"));
}

/** Lines that look like a stack trace frame. */
export function stackLines(text: string): string[] {
  return text.split("\n").filter((l) => /^\s+at /.test(l));
}

export async function tempFilesIn(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).filter((f) => f.endsWith(".tmp"));
  } catch {
    return [];
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
