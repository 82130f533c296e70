/** The executor's requests and verdicts: what `generate` and `eval` hand it and get back. */
import type { Blob } from "./frames.js";

/** pass: every test passed; fail: one did not (or the code did not run); timeout: the whole check ran
 * out of time before the child reported (a per-input time limit is a fail, as in evalplus). */
export type CheckStatus = "pass" | "fail" | "timeout";

/** How the child process ended: "done" (reported to the end), "timeout" (killed at the deadline),
 * "exited" (ended without finishing its report), "overflow" (reported more than the executor keeps). */
export type RunEnd = "done" | "timeout" | "exited" | "overflow";

export interface CheckFailure {
  /** The failing input or test (0-based), or null when the code itself did not run. */
  index: number | null;
  reason: string;
  input?: string;
  expected?: string;
  actual?: string;
  /** The exception, as "TypeError: ...". */
  error?: string;
  /** The failing test's source (assert tests). */
  test?: string;
  /** The line of a syntax error. */
  line?: number;
}

export interface Verdict {
  status: CheckStatus;
  passed: number;
  total: number;
  failure?: CheckFailure;
  /** Wall-clock seconds of the child process (setup, the code, every test). */
  seconds: number;
  end: RunEnd;
  /** The start of what the code printed (stdout and stderr), when it printed anything. */
  stdout?: string;
}

/** What isolation applies on this machine, in words (the executor reports it at start). */
export interface SandboxReport {
  user: string;
  network: string;
  filesystem: string;
  processes: string;
  memory: string;
  imports?: string;
}

/** Where a large expected value lives in the expected-outputs cache (read by the judge on demand). */
export interface FileRef {
  path: string;
  off: number;
  len: number;
  /** zlib-compressed. */
  z: boolean;
}

/**
 * One encoded value: a pickle of builtins ("p") or of a surrogate tree ("s", for values that are not
 * plain builtins), its size and blake2b digest, whether it may contain a NaN, and its bytes (inline,
 * or in the cache file, or absent when too large to keep: then only the digest can be compared).
 */
export interface EncodedValue {
  e: "p" | "s";
  size: number;
  d: string;
  nan: boolean;
  data?: Buffer;
  file?: FileRef;
}

/** evalplus's per-task comparison settings. */
export type Oracle = "humaneval" | "mbpp" | null;

export interface FunctionCall {
  /** The whole program: the sample's solution (for HumanEval, the prompt and the completion). */
  code: string;
  entryPoint: string;
  /** The test inputs: the JSON text of a list of argument lists, exactly as in the dataset file. */
  inputs: Blob;
  /** Seconds per input (evalplus: max(4, 4 x the canonical solution's time)); else `timeLimit`. */
  timeLimits?: readonly number[];
  timeLimit?: number;
  /** Seconds for the whole child process. */
  deadlineSeconds: number;
  /** How JSON inputs become call arguments: "mbpp:<task number>" for MBPP+'s tuples and sets. */
  inputsRule?: string;
  /** Disable destructive functions as evalplus's reliability_guard does (default true). */
  guard?: boolean;
  /** Call the function as a method of `Solution()` when the code defines that class (APPS, LeetCode). */
  solutionClass?: boolean;
}

export interface FunctionCheck extends FunctionCall {
  expected: readonly EncodedValue[];
  atol: number;
  /** Which benchmark's special rules apply (MBPP's regex tasks are also graded on "returned something"). */
  oracle: Oracle;
}

/** A trusted run of a canonical solution: its outputs (the expected values) and times per input. */
export interface RecordedCall {
  end: RunEnd;
  seconds: number;
  outputs: EncodedValue[];
  times: number[];
  /** Set when the run did not produce an output for every input. */
  failure?: CheckFailure;
}

export interface AssertCheck {
  code: string;
  /** Run after the code, before the tests (MBPP's test_setup_code; HumanEval's `test`). */
  setup?: string;
  /** Statements, each a test: `assert f(1) == 2`. */
  tests?: readonly string[];
  /** HumanEval's form: the tests are the statements of `def <name>(candidate)` in `setup`, called
   * with the entry point. */
  checkFunction?: { name: string; entryPoint: string };
  /** Seconds per test (default 4). */
  timeLimit?: number;
  deadlineSeconds?: number;
  guard?: boolean;
}

/** APPS / CodeContests tests: stdin/stdout pairs, or calls of `fnName` when it is set. */
export interface StdioCheck {
  code: string;
  /** JSON text of the list of inputs: strings (or lists of lines) for stdin; argument lists with fnName. */
  inputs: Blob;
  /** JSON text of the list of expected outputs. */
  outputs: Blob;
  fnName?: string;
  timeLimit?: number;
  deadlineSeconds?: number;
}
