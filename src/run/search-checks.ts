/**
 * The edge adapter between the search's code roles (src/search/policy.ts: Verifier, ExampleRunner)
 * and generate's code checks (code-checks.ts): bound to one problem, over the run's one executor
 * pool, so a search's test runs and example runs share the workers, the sandbox and the limits of
 * the sample's own checks.
 *
 * - A problem with `tests` or `input_output` gets a Verifier: best-of-n and self-consistency pick by
 *   passing, revision is shown the failure, --verify-end accepts a terminal only if it passes.
 * - A problem whose statement has example inputs (extractExampleInputs: calls of its entry function,
 *   or stdin blocks) gets an ExampleRunner: self-consistency without tests groups codes by what they
 *   output on them. Its entry function is the tests' `fn_name` when they name one.
 */
import { extractExampleInputs } from "../problems/example-inputs.js";
import type { CodeChecks } from "../search/policy.js";
import type { ProblemTests } from "../types.js";
import type { CodeChecker } from "./code-checks.js";

export interface CheckedProblem {
  question: string;
  tests?: ProblemTests;
}

/** The code checks `problem` offers its search, or undefined when it has neither tests nor examples. */
export function searchChecks(checker: CodeChecker, problem: CheckedProblem): CodeChecks | undefined {
  const { tests } = problem;
  const fnName = tests?.kind === "io" ? tests.fnName : undefined;
  const examples = extractExampleInputs(problem.question, fnName ? { fnName } : {});
  if (!tests && !examples) return undefined;
  return {
    ...(tests ? { verifier: { verify: ({ code }) => checker.test(tests, code) } } : {}),
    ...(examples
      ? { runner: { run: async ({ code }) => ({ outputs: await checker.runExamples(examples, code) }) } }
      : {}),
  };
}
