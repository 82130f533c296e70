/**
 * Ctrl-C and SIGTERM. The first signal asks the run to stop: no new problems start, in-flight ones are
 * aborted (their partial searches are dropped and redone on resume, never recorded as failures),
 * files are flushed and closed and summary.json is written; the command then exits 130.
 * A second signal exits at once: the files are still consistent, because every record is one
 * whole-line append and a torn tail is repaired on the next open.
 */
import { setMaxListeners } from "node:events";
import { EXIT } from "../errors.js";
import type { StopCause } from "./summary.js";

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

/** How a run stops: once, for one cause, aborting the one signal every request in flight listens on. */
export interface RunStop {
  readonly signal: AbortSignal;
  /** Why the run stopped ("completed" until something stopped it). */
  readonly stopped: { cause: StopCause; detail?: string };
  /** Stop for `cause` (a second call changes nothing). */
  stop(cause: StopCause, detail?: string): void;
  /** Abort for an error that is not a stop cause of its own (the run then ends with "error"). */
  fail(e: unknown, detail: string): void;
}

export function createRunStop(): RunStop {
  const controller = new AbortController();
  // Every in-flight LLM request listens on this one signal: hundreds of listeners are expected.
  setMaxListeners(0, controller.signal);
  const stopped: { cause: StopCause; detail?: string } = { cause: "completed" };
  return {
    signal: controller.signal,
    stopped,
    stop(cause, detail) {
      if (controller.signal.aborted) return;
      stopped.cause = cause;
      stopped.detail = detail;
      controller.abort(new Error(detail ?? cause));
    },
    fail(e, detail) {
      if (stopped.cause === "completed") stopped.cause = "error";
      stopped.detail ??= detail;
      controller.abort(e);
    },
  };
}
