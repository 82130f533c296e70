/**
 * Tests as datasets spell them (pure), read the same way by `sra eval`'s benchmark loader and by the
 * problems `sra generate` checks its code against: APPS's `input_output` (stdin/stdout pairs, or calls
 * of `fn_name`), and the function an MBPP-style `assert` calls.
 */
import { parsePythonJson } from "./python-json.js";
import { rawArrayLength, rawFields } from "./raw-json.js";

/** APPS-style cases: the raw JSON text of the inputs and outputs (numbers kept exactly as written). */
export interface IoCases {
  inputs: string;
  outputs: string;
  count: number;
  fnName: string | undefined;
}

/**
 * An `input_output` value: an object `{inputs, outputs, fn_name?}`, or that object as a JSON string
 * (as APPS stores it). `fieldText` is the field's raw JSON in the record, for the object form. Returns
 * the cases, or what is wrong with them.
 */
export function parseInputOutput(value: unknown, fieldText: string | undefined): IoCases | { error: string } {
  let io = value;
  let ioText: string;
  if (typeof io === "string") {
    ioText = io;
    const parsed = parsePythonJson(io);
    if (!parsed.ok) return { error: `not JSON: ${parsed.error}` };
    io = parsed.value;
  } else {
    ioText = fieldText ?? "";
  }
  if (typeof io !== "object" || io === null || Array.isArray(io))
    return { error: "expected {inputs, outputs}" };
  let raw: Map<string, string>;
  try {
    raw = rawFields(ioText, ["inputs", "outputs"]);
  } catch (e) {
    return { error: `cannot read it: ${(e as Error).message}` };
  }
  const inputs = raw.get("inputs");
  const outputs = raw.get("outputs");
  if (inputs === undefined || outputs === undefined) return { error: "needs both inputs and outputs" };
  let count: number;
  try {
    count = rawArrayLength(inputs);
    if (rawArrayLength(outputs) !== count) return { error: "inputs and outputs differ in length" };
  } catch {
    return { error: "inputs and outputs must be lists" };
  }
  const fnName = (io as Record<string, unknown>).fn_name;
  if (fnName !== undefined && fnName !== null && typeof fnName !== "string") {
    return { error: "fn_name must be a string" };
  }
  return { inputs, outputs, count, fnName: typeof fnName === "string" && fnName !== "" ? fnName : undefined };
}

/** The function an MBPP assert calls: the first name followed by "(" that is not a builtin helper. */
export function calledFunction(test: string): string | undefined {
  const helpers = new Set([
    "assert",
    "set",
    "sorted",
    "list",
    "tuple",
    "abs",
    "round",
    "math",
    "isclose",
    "int",
    "float",
    "str",
    "len",
    "not",
  ]);
  for (const m of test.matchAll(/([A-Za-z_][\w]*)\s*\(/g)) {
    const name = m[1] as string;
    if (!helpers.has(name)) return name;
  }
  return undefined;
}
