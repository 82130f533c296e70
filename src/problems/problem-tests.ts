/**
 * The tests a problem may carry (pure): `tests` (a list of `assert` statements; MBPP's `test_list`
 * too) with optional `setup` code (MBPP's `test_setup_code`), or `input_output` (APPS: stdin/stdout
 * pairs, or calls of `fn_name`). Read only for `sra generate`, which runs its code against them;
 * every other reader leaves these fields alone.
 */
import { InputError, type InputLocation } from "../errors.js";
import type { ProblemTests } from "../types.js";
import { rawFields } from "../util/raw-json.js";
import { calledFunction, parseInputOutput } from "../util/test-cases.js";

/** The field a record uses among its accepted names, or undefined. */
function fieldOf(record: Record<string, unknown>, names: readonly string[]): string | undefined {
  return names.find((n) => record[n] !== undefined && record[n] !== null);
}

/**
 * The problem's tests, undefined when it has none, or an InputError naming the field. `text` is the
 * record's JSON (for the raw text of `input_output`, whose numbers must stay exactly as written).
 */
export function readProblemTests(
  record: Record<string, unknown>,
  text: string,
  at: (field: string) => InputLocation,
): ProblemTests | undefined | InputError {
  const testsField = fieldOf(record, ["tests", "test_list"]);
  const setupField = fieldOf(record, ["setup", "test_setup_code"]);
  const ioField = fieldOf(record, ["input_output"]);
  if (testsField && ioField) {
    return new InputError("a problem carries either tests or input_output, not both", at(ioField));
  }
  if (testsField) {
    const tests = record[testsField];
    if (!Array.isArray(tests) || tests.some((t) => typeof t !== "string" || t.trim() === "")) {
      return new InputError("expected a list of assert statements (non-empty strings)", at(testsField));
    }
    const setup = setupField ? record[setupField] : "";
    if (typeof setup !== "string")
      return new InputError("expected a string of Python code", at(setupField ?? "setup"));
    return tests.length === 0 ? undefined : { kind: "asserts", tests: tests as string[], setup };
  }
  if (ioField) {
    let fieldText: string | undefined;
    try {
      fieldText = typeof record[ioField] === "string" ? undefined : rawFields(text, [ioField]).get(ioField);
    } catch {
      fieldText = JSON.stringify(record[ioField]);
    }
    const cases = parseInputOutput(record[ioField], fieldText);
    if ("error" in cases) return new InputError(cases.error, at(ioField));
    return cases.count === 0 ? undefined : { kind: "io", ...cases };
  }
  const setup = setupField ? record[setupField] : undefined;
  if (setupField && (typeof setup !== "string" || setup.trim() !== "")) {
    return new InputError("setup code without tests", at(setupField));
  }
  return undefined;
}

/**
 * The question as the implement prompt shows it. When the tests call a function the question does not
 * name (MBPP's training split is like that), the code could not match them, so the first test is
 * shown with the question, as MBPP's own prompts do ("Your code should pass these tests:").
 */
export function implementQuestion(question: string, tests: ProblemTests | undefined): string {
  if (!tests) return question;
  const named = (name: string) => new RegExp(`\\b${name.replace(/[^\w]/g, "")}\\b`).test(question);
  if (tests.kind === "asserts") {
    const first = tests.tests[0] as string;
    const fn = calledFunction(first);
    if (fn === undefined || named(fn)) return question;
    const shown = tests.setup.trim() === "" ? first : `${tests.setup.trim()}\n${first}`;
    return `${question.trimEnd()}\n\nYour code should pass this test:\n\`\`\`python\n${shown}\n\`\`\``;
  }
  if (tests.fnName === undefined || named(tests.fnName)) return question;
  return `${question.trimEnd()}\n\nThe tests call \`${tests.fnName}\`.`;
}
