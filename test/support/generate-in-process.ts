/**
 * `sra generate` in this process, on a test clock: the same command-line arguments, parsed by the real
 * command, then runGenerate with its LLM stack's clock and sleep injected. A test that needs a server
 * to be down "for a while" (a restart, an outage) then waits in test time, not in real seconds: every
 * retry back-off and outage wait is a sleep on the test clock, and events scheduled on that clock (the
 * server coming back) run when it gets there.
 */
import { generateCommand } from "../../src/cli/generate.js";
import { runGenerate } from "../../src/commands/generate.js";
import { isSraError } from "../../src/errors.js";
import { createLlmStack } from "../../src/llm/create-llm-stack.js";
import type { CliResult } from "./cli.js";

export interface TestClock {
  now(): number;
  /** Move the clock on by `ms`, run what fell due, then let other work run. Aborts like a real sleep. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Run `action` once the clock is `ms` past now. */
  after(ms: number, action: () => Promise<unknown>): void;
}

export function testClock(start = 1_700_000_000_000): TestClock {
  let t = start;
  const due: { at: number; action: () => Promise<unknown>; started: boolean }[] = [];
  return {
    now: () => t,
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      t += ms;
      for (const d of due) {
        if (d.started || t < d.at) continue;
        d.started = true;
        await d.action();
      }
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    },
    after(ms, action) {
      due.push({ at: t + ms, action, started: false });
    },
  };
}

/**
 * Run `sra generate` with these arguments (as for runCli, "generate" first) in this process. Returns
 * what runCli would: the exit code the error maps to, and what was written to stderr.
 */
export async function generateInProcess(
  args: readonly string[],
  clock: TestClock,
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  let stderr = "";
  const stream = {
    isTTY: false,
    write(text: string): boolean {
      stderr += text;
      return true;
    },
  };
  let code = 0;
  const command = generateCommand((options) =>
    runGenerate(options, {
      stderr: stream,
      env,
      now: clock.now,
      llmStack: (o) => createLlmStack({ ...o, now: clock.now, sleep: clock.sleep }),
    }),
  ).exitOverride();
  try {
    await command.parseAsync(args.slice(1), { from: "user" });
  } catch (e) {
    code = isSraError(e) ? e.exitCode : 1;
    stderr += `sra: ${e instanceof Error ? e.message : String(e)}\n`;
  }
  return { code, signal: null, stdout: "", stderr };
}
