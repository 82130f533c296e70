/**
 * A program that calls a solution's entry function on a statement's example calls and prints what
 * each returned (its repr), for self-consistency's example runs (src/run/search-checks.ts runs it in
 * the executor's sandbox, as a stdin program with no input). Pure: text in, text out.
 *
 * Why one program for all the calls, rather than one run per call: a plan's code is run once, so N
 * plans cost N sandboxed runs, not N x calls. The solution runs in a namespace of its own whose
 * `__name__` is not `"__main__"`, so a `main()` block that reads stdin (models add them) does not
 * run. A call that raises gives null; a call that never returns uses up the run's time limit, and
 * then every output of that code is null (the code is in no cluster).
 */
import { parseJson } from "../util/parse-json.js";
import type { ExampleInputs } from "./example-inputs.js";

/** The line prefix the outputs follow (what the code itself prints comes before it). */
export const EXAMPLE_OUTPUTS_MARK = "__sra_example_outputs__ ";

/** A Python string literal of `text` (JSON's escapes are Python's). */
const pyString = (text: string): string => JSON.stringify(text);

/** The program that runs `code`, then each call of `examples`, and prints the reprs (null: raised). */
export function callsProgram(code: string, examples: Extract<ExampleInputs, { kind: "calls" }>): string {
  const fn = pyString(examples.fnName);
  return [
    "import json as _sra_json",
    '_sra_ns = {"__name__": "__sra_solution__"}',
    `exec(compile(${pyString(code)}, "<solution>", "exec"), _sra_ns)`,
    // LeetCode-style code defines the function as a method of `Solution`.
    `if ${fn} not in _sra_ns and isinstance(_sra_ns.get("Solution"), type):`,
    "    try:",
    `        _sra_ns[${fn}] = getattr(_sra_ns["Solution"](), ${fn})`,
    "    except Exception:",
    "        pass",
    "_sra_out = []",
    `for _sra_call in ${JSON.stringify(examples.calls)}:`,
    "    try:",
    "        _sra_out.append(repr(eval(_sra_call, _sra_ns)))",
    "    except Exception as _sra_e:",
    // The sandbox's per-run time limit must end the run, not be taken for a failed call.
    '        if type(_sra_e).__name__ == "TimeoutException":',
    "            raise",
    "        _sra_out.append(None)",
    `print("\\n${EXAMPLE_OUTPUTS_MARK}" + _sra_json.dumps(_sra_out))`,
    "",
  ].join("\n");
}

/** The outputs `callsProgram` printed (its last marked line), or all null when it did not finish. */
export function parseCallOutputs(stdout: string | null, count: number): (string | null)[] {
  const none = Array.from({ length: count }, () => null);
  if (stdout === null) return none;
  const at = stdout.lastIndexOf(`\n${EXAMPLE_OUTPUTS_MARK}`);
  if (at < 0) return none;
  const line = stdout.slice(at + 1 + EXAMPLE_OUTPUTS_MARK.length).split("\n")[0] ?? "";
  const parsed = parseJson(line);
  if (!parsed.ok || !Array.isArray(parsed.value) || parsed.value.length !== count) return none;
  return parsed.value.map((o: unknown) => (typeof o === "string" ? o : null));
}
