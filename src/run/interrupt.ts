/**
 * Ctrl-C and SIGTERM. The first signal asks the run to stop: no new problems start, in-flight ones are
 * aborted (their partial searches are dropped and redone on resume, never recorded as failures),
 * files are flushed and closed and summary.json is written; the command then exits 130.
 * A second signal exits at once: the files are still consistent, because every record is one
 * whole-line append and a torn tail is repaired on the next open.
 */
import { EXIT } from "../errors.js";

export interface InterruptHandle {
  /** Remove the handlers (at the end of the run). */
  dispose(): void;
}

export function installInterruptHandlers(
  onFirst: (signal: NodeJS.Signals) => void,
  options: { onSecond?: (signal: NodeJS.Signals) => void } = {},
): InterruptHandle {
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      onFirst(signal);
      return;
    }
    options.onSecond?.(signal);
    // The one place sra exits from outside src/cli.ts: the user asked twice.
    process.exit(EXIT.interrupted);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
