/**
 * generate's code checks, through the executor (src/execute/): every sample's code is compiled before
 * it is written (implementPlan asks again, within the code retries, for code that does not), and run
 * against its problem's own tests when it has some. The executor is started once per run, as the pool
 * starts (prestart), so its half second per worker overlaps the first search, and closed at the end; a
 * run without a code stage (--stage plans, --no-check-code) starts no Python.
 */
import { PythonNotFoundError } from "../errors.js";
import { Executor } from "../execute/executor.js";
import { EVALPLUS_LIMITS } from "../execute/limits.js";
import { findPython } from "../execute/python.js";
import type { CheckFailure, Verdict } from "../execute/types.js";
import type { ExampleInputs } from "../problems/example-inputs.js";
import { callsProgram, parseCallOutputs } from "../problems/example-program.js";
import type { ProblemTests, SampleTests } from "../types.js";

export interface CodeChecker {
  /** Start the executor now, in the background (its start overlaps the first search). */
  prestart(): void;
  /** null when the code compiles; else why not, in a line. */
  compile(code: string): Promise<string | null>;
  /** The code run against the problem's tests. */
  test(tests: ProblemTests, code: string): Promise<SampleTests>;
  /** The code run on a statement's example inputs: one output each, null where it failed. */
  runExamples(examples: ExampleInputs, code: string): Promise<(string | null)[]>;
  close(): Promise<void>;
}

/** Seconds per example call (evalplus's least per-input limit; an example is a small input). */
const EXAMPLE_CALL_SECONDS = EVALPLUS_LIMITS.minSeconds;

/** A failure in one line: which test or input, and why. */
export function describeFailure(f: CheckFailure): string {
  const where = f.test ?? (f.index !== null ? `input ${f.index}` : undefined);
  const line = `${where ? `${where}: ` : ""}${f.reason}`;
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

export function sampleTests(v: Verdict): SampleTests {
  return {
    status: v.status,
    passed: v.passed,
    total: v.total,
    ...(v.failure ? { failure: describeFailure(v.failure) } : {}),
  };
}

/** A checker over an executor started on first use (python, workers as the run's settings say). */
export function executorChecker(options: { python: string; workers: number }): CodeChecker {
  let started: Promise<Executor> | undefined;
  const executor = (): Promise<Executor> => {
    started ??= Executor.start(options);
    return started;
  };
  return {
    prestart() {
      // A failure to start is reported by the first check, which awaits the same promise.
      executor().catch(() => undefined);
    },
    async compile(code) {
      const v = await (await executor()).compile(code);
      if (v.status === "pass") return null;
      if (v.status === "timeout") return "compiling it took longer than the time limit";
      return v.failure?.error ?? v.failure?.reason ?? "it does not compile";
    },
    async test(tests, code) {
      const ex = await executor();
      const v =
        tests.kind === "asserts"
          ? await ex.checkAsserts({ code, setup: tests.setup, tests: tests.tests })
          : await ex.checkStdio({
              code,
              inputs: tests.inputs,
              outputs: tests.outputs,
              ...(tests.fnName ? { fnName: tests.fnName } : {}),
            });
      return sampleTests(v);
    },
    async runExamples(examples, code) {
      const ex = await executor();
      if (examples.kind === "stdin") return ex.runStdin({ code, inputs: examples.inputs });
      // Every call in one run (example-program.ts), the run's limit stretched to the number of calls.
      const [stdout] = await ex.runStdin({
        code: callsProgram(code, examples),
        inputs: [""],
        timeLimit: EXAMPLE_CALL_SECONDS * examples.calls.length,
      });
      return parseCallOutputs(stdout ?? null, examples.calls.length);
    },
    async close() {
      if (!started) return;
      const ex = await started.catch(() => undefined);
      await ex?.close();
    },
  };
}

/** The strategies that write and run code inside their search when a problem has tests or examples. */
const CODE_IN_SEARCH: ReadonlySet<string> = new Set(["best-of-n", "self-consistency", "revision"]);

/** Whether the run's search writes code to test or run (it then takes the run's code checks). */
export function searchRunsCode(config: { strategy: string; search: { verifyEnd: boolean } }): boolean {
  return CODE_IN_SEARCH.has(config.strategy) || (config.strategy === "mcts" && config.search.verifyEnd);
}

/**
 * Whether a run checks code: checks on (no --no-check-code) and code to check, from a code stage or
 * from the search itself (so --stage plans with best-of-n still picks by tests).
 */
export function codeChecksRun(config: {
  check: { code: boolean };
  stage: string;
  strategy: string;
  search: { verifyEnd: boolean };
}): boolean {
  return config.check.code && (config.stage !== "plans" || searchRunsCode(config));
}

/**
 * That the run's Python is there, before any model call: without it, a PythonNotFoundError whose hint
 * also names --no-check-code (generate can run without Python, its samples then unchecked).
 */
export function ensurePython(python: string): void {
  try {
    findPython(python);
  } catch (e) {
    if (!(e instanceof PythonNotFoundError)) throw e;
    throw new PythonNotFoundError(`${e.message} (generate compiles every sample's code and runs its tests)`, {
      hint: `${e.hint ?? "install Python 3.8 or later"}; or write samples unchecked with --no-check-code`,
    });
  }
}
