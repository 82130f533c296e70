/**
 * Small error classes, caught in one place (src/cli.ts) and mapped to exit codes.
 * Every message is meant for a person: it names the file, the line and the field where it can.
 */

/** Exit codes that scripts can trust. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

export abstract class SraError extends Error {
  abstract readonly exitCode: number;
  /** A one-line suggestion of what to do next, printed under the message. */
  readonly hint: string | undefined;
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** Bad flags or values on the command line (exit 2). */
export class UsageError extends SraError {
  readonly exitCode = EXIT.usage;
}

/** A config file (or merged config) that fails validation (exit 2). Lines are `path: message`. */
export class ConfigError extends SraError {
  readonly exitCode = EXIT.usage;
  readonly file: string | undefined;
  readonly issues: string[];
  constructor(issues: string[], file?: string, options?: { hint?: string }) {
    // One issue: one line that names the file and the field (`cfg.json: search.c (--c): too small`);
    // several: a heading, then one indented `path: message` line each.
    super(
      issues.length === 1
        ? `${file ? `${file}: ` : "invalid configuration: "}${issues[0]}`
        : `${file ? `${file}: ` : ""}invalid configuration\n${issues.map((i) => `  ${i}`).join("\n")}`,
      options,
    );
    this.file = file;
    this.issues = issues;
  }
}

/** A location in an input file: 1-based line (and column), and the field when one is at fault. */
export interface InputLocation {
  file: string;
  line?: number;
  column?: number;
  field?: string;
}

export function formatLocation(loc: InputLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) s += `:${loc.column}`;
  if (loc.field !== undefined) s += ` (field "${loc.field}")`;
  return s;
}

/** Bad input data (exit 1): names file:line and field. */
export class InputError extends SraError {
  readonly exitCode = EXIT.failure;
  readonly location: InputLocation | undefined;
  constructor(message: string, location?: InputLocation, options?: { cause?: unknown; hint?: string }) {
    super(location ? `${formatLocation(location)}: ${message}` : message, options);
    this.location = location;
  }
}

/**
 * The InputError for a path that could not be opened or read: "<what> not found" for ENOENT, else the
 * system's reason. One wording for every command that reads a user's file.
 */
export function cannotReadError(
  e: unknown,
  what: string,
  location: InputLocation,
  options?: { hint?: string },
): InputError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const message = code === "ENOENT" ? `${what} not found` : `cannot read: ${describeError(e)}`;
  return new InputError(message, location, { cause: e, ...options });
}

/** Several input errors collected before failing, so a user can fix them in one pass. */
export class InputErrors extends SraError {
  readonly exitCode = EXIT.failure;
  readonly errors: InputError[];
  readonly total: number;
  constructor(errors: InputError[], total: number, options?: { hint?: string }) {
    const shown = errors.map((e) => `  ${e.message}`).join("\n");
    const more = total > errors.length ? `\n  ... and ${total - errors.length} more` : "";
    // A single error is the whole message, so the first line printed names its file:line and field;
    // several get a count first, then one indented `file:line (field): message` line each.
    const only = total === 1 && errors.length === 1 ? errors[0] : undefined;
    super(only ? only.message : `${total} invalid input records:\n${shown}${more}`, options);
    this.errors = errors;
    this.total = total;
  }
}

/** An output path that cannot be written (exit 1). */
export class OutputError extends SraError {
  readonly exitCode = EXIT.failure;
}

/**
 * What went wrong with an LLM call, for failure records: an HTTP error status, no reply in time, a
 * broken connection, or a reply that arrived but is not a usable chat completion (not JSON, no choices).
 * The in-process engine adds two: "request", a request it cannot serve as it is (a prompt longer than
 * the context, a guided regex it cannot turn into a grammar), and "engine", llama.cpp failing to decode.
 */
export type LlmFaultKind = "http" | "timeout" | "network" | "bad-reply" | "request" | "engine";

/**
 * A failed call to the LLM server. `isRetryable` follows the status (RETRYABLE_STATUSES) or a network
 * fault.
 */
export class LlmError extends SraError {
  readonly exitCode = EXIT.failure;
  readonly status: number | undefined;
  /** What kind of fault (set by the OpenAI adapter); undefined when the creator did not say. */
  readonly fault: LlmFaultKind | undefined;
  readonly isRetryable: boolean;
  /** Milliseconds the server asked us to wait (Retry-After / retry-after-ms), if it said. */
  readonly retryAfterMs: number | undefined;
  readonly endpoint: string | undefined;
  constructor(
    message: string,
    options: {
      status?: number;
      isRetryable?: boolean;
      retryAfterMs?: number;
      endpoint?: string;
      fault?: LlmFaultKind;
      cause?: unknown;
      hint?: string;
    } = {},
  ) {
    super(message, options);
    this.status = options.status;
    this.fault = options.fault ?? (options.status === undefined ? undefined : "http");
    this.isRetryable = options.isRetryable ?? isRetryableStatus(options.status);
    this.retryAfterMs = options.retryAfterMs;
    this.endpoint = options.endpoint;
  }
}

/**
 * The HTTP statuses worth another attempt: a timeout or conflict (408, 409), rate limiting (429), and
 * the 5xx that say "not now" (500, 502, 503, 504). The other 5xx say "never" (501 not implemented,
 * 505 HTTP version, 507 out of storage, 511 network login ...), like the other 4xx: retrying them only
 * spends the back-off before the same answer.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 409, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number | undefined): boolean {
  if (status === undefined) return true; // network fault or timeout: no status
  return RETRYABLE_STATUSES.has(status);
}

/** The server check before a run (unreachable, 401, model not served): ends the run at once. */
export class ServerCheckError extends SraError {
  readonly exitCode = EXIT.failure;
}

/**
 * The in-process engine (llama.cpp through node-llama-cpp) cannot start: it is not installed, its
 * binary does not load, or the model file cannot be found or loaded (exit 1).
 */
export class EngineError extends SraError {
  readonly exitCode = EXIT.failure;
}

/** node-llama-cpp, an optional dependency, is not installed; the message names the command that installs it. */
export class EngineMissingError extends EngineError {}

/** A preset's GGUF file is not cached and could not be downloaded (offline, not found, stalled). */
export class ModelDownloadError extends EngineError {}

/** A model reply that could not be parsed into what a role needs, after its retries. */
export class ParseError extends SraError {
  readonly exitCode = EXIT.failure;
  readonly kind: string;
  constructor(kind: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** No usable Python interpreter for the code executor (exit 1); the hint names the fix. */
export class PythonNotFoundError extends SraError {
  readonly exitCode = EXIT.failure;
}

/** The code executor itself failed (its process died, or broke the protocol) rather than a sample. */
export class ExecutorError extends SraError {
  readonly exitCode = EXIT.failure;
}

/** `sra merge --strict` found records with the same id and different content (exit 1, nothing written). */
export class MergeConflictError extends SraError {
  readonly exitCode = EXIT.failure;
}

/** A run stopped because too many problems failed (`--max-failures`). */
export class TooManyFailuresError extends SraError {
  readonly exitCode = EXIT.failure;
}

/**
 * `sra eval` ended without every sample it set out to score: some could not be generated (their
 * requests failed after the retries). What was scored is kept; a rerun asks for the missing ones.
 */
export class IncompleteEvalError extends SraError {
  readonly exitCode = EXIT.failure;
}

/** The user pressed Ctrl-C (or the process got SIGTERM); finished work is kept. */
export class InterruptedError extends SraError {
  readonly exitCode = EXIT.interrupted;
}

export function isSraError(e: unknown): e is SraError {
  return e instanceof SraError;
}

/** A short, safe description of any thrown value. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
