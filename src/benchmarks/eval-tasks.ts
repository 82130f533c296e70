/**
 * Benchmarks as `sra eval` runs them: tasks with the prompt shown to the model, the entry point, the
 * canonical solution and the tests, in one of three shapes:
 * - "evalplus": test inputs whose expected outputs come from running the canonical solution
 *   (HumanEval+, MBPP+, and files in their shape); base inputs, then plus inputs;
 * - "asserts": assert statements (the original HumanEval's check() and MBPP's three asserts);
 * - "apps": stdin/stdout pairs or function calls with expected outputs (APPS, CodeContests).
 * Test inputs stay raw JSON text (src/util/raw-json.ts).
 */
import { existsSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { cannotReadError, InputError } from "../errors.js";
import type { Oracle } from "../execute/types.js";
import { parsePythonJson } from "../util/python-json.js";
import { rawArrayLength, rawFields } from "../util/raw-json.js";
import { calledFunction, parseInputOutput } from "../util/test-cases.js";
import { type DatasetSources, gunzipIfNeeded, locateBuiltin, sha256Of } from "./files.js";
import { BENCHMARK_FILES, type BenchmarkName } from "./sources.js";

export { calledFunction };

export const EVAL_BENCHMARKS = ["humaneval", "humaneval-plus", "mbpp", "mbpp-plus"] as const;
export type EvalBenchmarkName = (typeof EVAL_BENCHMARKS)[number];

/** MBPP's test split (task ids 11-510, as in the MBPP paper): the tasks a model is scored on. */
export const MBPP_TEST_SPLIT = { first: 11, last: 510 } as const;

export interface EvalplusTests {
  kind: "evalplus";
  /** Raw JSON: a list of argument lists. */
  baseInputs: string;
  plusInputs: string | undefined;
  baseCount: number;
  plusCount: number;
  atol: number;
  oracle: Oracle;
  /** "mbpp:<n>" for MBPP+'s argument fix-ups. */
  inputsRule: string | undefined;
}

export interface AssertTests {
  kind: "asserts";
  setup: string;
  tests: string[];
  /** HumanEval's `def check(candidate)`: its statements are the tests. */
  checkFunction: string | undefined;
}

export interface AppsTests {
  kind: "apps";
  /** Raw JSON lists. */
  inputs: string;
  outputs: string;
  count: number;
  fnName: string | undefined;
}

export type TaskTests = EvalplusTests | AssertTests | AppsTests;

export interface EvalTask {
  taskId: string;
  /** What the dataset gives the model: HumanEval's signature and docstring, MBPP's description. */
  prompt: string;
  /** The function the tests call; undefined for stdin/stdout programs. */
  entryPoint: string | undefined;
  /** The canonical solution as a whole program (for HumanEval: prompt + canonical_solution). */
  canonical: string | undefined;
  /** Example tests the dataset shows with the task (MBPP's asserts), for the prompt. */
  examples: string[];
  /** APPS difficulty, when given. */
  difficulty: string | undefined;
  tests: TaskTests;
}

export interface EvalBenchmark {
  /** The name given (a built-in name or the path). */
  name: string;
  file: string;
  sha256: string;
  origin: "local" | "cache" | "download" | "user";
  /** Whether tasks have plus tests (evalplus shape with plus_input). */
  hasPlus: boolean;
  tasks: EvalTask[];
}

type Json = Record<string, unknown>;

function str(record: Json, field: string): string | undefined {
  const v = record[field];
  return typeof v === "string" ? v : undefined;
}

function taskIdOf(record: Json, index: number): string {
  const v = record.task_id ?? record.id ?? record.problem_id;
  return typeof v === "string" || typeof v === "number" ? String(v) : String(index + 1);
}

interface Line {
  text: string;
  record: Json;
  line: number;
}

function linesOf(data: Buffer, file: string): Line[] {
  let text = gunzipIfNeeded(data, file).toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trimStart().startsWith("[")) {
    throw new InputError("expected JSON Lines (one task per line), found a JSON array", { file });
  }
  const out: Line[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const t = (lines[i] as string).trim();
    if (t === "") continue;
    const parsed = parsePythonJson(t);
    if (
      !parsed.ok ||
      typeof parsed.value !== "object" ||
      parsed.value === null ||
      Array.isArray(parsed.value)
    ) {
      throw new InputError(parsed.ok ? "expected a JSON object" : `invalid JSON: ${parsed.error}`, {
        file,
        line: i + 1,
      });
    }
    out.push({ text: t, record: parsed.value as Json, line: i + 1 });
  }
  return out;
}

function need(record: Json, field: string, file: string, line: number): string {
  const v = str(record, field);
  if (v === undefined) throw new InputError("missing or not a string", { file, line, field });
  return v;
}

function oracleOf(taskId: string): Oracle {
  if (taskId.startsWith("HumanEval/")) return "humaneval";
  if (taskId.startsWith("Mbpp/")) return "mbpp";
  return null;
}

/**
 * The prompt shown for an MBPP+ task. MBPP+'s releases put the task and its first test in a docstring
 * (`"""\n<task>\n<assert ...>\n"""\n`), so the model learns the function's name and arguments; the
 * development copy in ../shared/datasets keeps the task alone in the prompt and the tests in
 * `assertion`. Such a prompt is rebuilt in the release's shape from its text and the first assert.
 */
export function mbppPlusPrompt(prompt: string, assertion: string | undefined): string {
  const first = assertion
    ?.split("\n")
    .map((l) => l.trim())
    .find((l) => l.startsWith("assert"));
  if (first === undefined || /\bassert\b/.test(prompt)) return prompt;
  const text = prompt
    .trim()
    .replace(/^(?:'''|""")/, "")
    .replace(/(?:'''|""")$/, "")
    .trim();
  return `"""\n${text}\n${first}\n"""\n`;
}

/** The assert lines of MBPP+'s `assertion` field (the original MBPP tests). */
function assertLines(assertion: string | undefined): string[] {
  return (assertion ?? "")
    .split("\n")
    .map((t) => t.trim())
    .filter((t) => t.startsWith("assert"));
}

function evalplusTask(l: Line, file: string, index: number): EvalTask {
  const taskId = taskIdOf(l.record, index);
  const given = need(l.record, "prompt", file, l.line);
  const assertion = str(l.record, "assertion");
  const prompt = taskId.startsWith("Mbpp/") ? mbppPlusPrompt(given, assertion) : given;
  const entryPoint = need(l.record, "entry_point", file, l.line);
  const solution = need(l.record, "canonical_solution", file, l.line);
  const raw = rawFields(l.text, ["base_input", "plus_input"]);
  const baseInputs = raw.get("base_input");
  if (baseInputs === undefined) throw new InputError("missing", { file, line: l.line, field: "base_input" });
  // MBPP+'s Mbpp/793 has `"plus_input": {}`: evalplus iterates it as no inputs, and so do we.
  const plusRaw = raw.get("plus_input");
  const plusInputs = plusRaw !== undefined && /^\{\s*\}$/.test(plusRaw) ? "[]" : plusRaw;
  const atol = typeof l.record.atol === "number" ? l.record.atol : 0;
  const oracle = oracleOf(taskId);
  const mbpp = /^Mbpp\/(\d+)$/.exec(taskId);
  return {
    taskId,
    prompt,
    entryPoint,
    // evalplus runs prompt + canonical_solution (evalplus/evaluate.py get_groundtruth).
    canonical: prompt + solution,
    examples: assertLines(assertion),
    difficulty: undefined,
    tests: {
      kind: "evalplus",
      baseInputs,
      plusInputs,
      baseCount: rawArrayLength(baseInputs),
      plusCount: plusInputs === undefined ? 0 : rawArrayLength(plusInputs),
      atol,
      oracle,
      inputsRule: mbpp ? `mbpp:${mbpp[1]}` : undefined,
    },
  };
}

function mbppTask(l: Line, file: string, index: number): EvalTask {
  const tests = l.record.test_list;
  if (!Array.isArray(tests) || tests.some((t) => typeof t !== "string")) {
    throw new InputError("expected a list of assert strings", { file, line: l.line, field: "test_list" });
  }
  const list = tests as string[];
  return {
    taskId: taskIdOf(l.record, index),
    prompt: str(l.record, "text") ?? str(l.record, "prompt") ?? "",
    entryPoint: str(l.record, "entry_point") ?? calledFunction(list[0] ?? ""),
    canonical: str(l.record, "code"),
    examples: list,
    difficulty: undefined,
    tests: {
      kind: "asserts",
      setup: str(l.record, "test_setup_code") ?? "",
      tests: list,
      checkFunction: undefined,
    },
  };
}

function humanevalTask(l: Line, file: string, index: number): EvalTask {
  const prompt = need(l.record, "prompt", file, l.line);
  const solution = str(l.record, "canonical_solution");
  return {
    taskId: taskIdOf(l.record, index),
    prompt,
    entryPoint: need(l.record, "entry_point", file, l.line),
    canonical: solution === undefined ? undefined : prompt + solution,
    examples: [],
    difficulty: undefined,
    tests: {
      kind: "asserts",
      setup: need(l.record, "test", file, l.line),
      tests: [],
      checkFunction: "check",
    },
  };
}

function appsTask(l: Line, file: string, index: number): EvalTask {
  const fieldText =
    typeof l.record.input_output === "string"
      ? undefined
      : rawFields(l.text, ["input_output"]).get("input_output");
  const cases = parseInputOutput(l.record.input_output, fieldText);
  if ("error" in cases) throw new InputError(cases.error, { file, line: l.line, field: "input_output" });
  const { inputs, outputs, count, fnName } = cases;
  const solutions = l.record.solutions;
  // APPS's call-based tasks come with the class and method to fill in: the prompt shows it.
  const starter = str(l.record, "starter_code")?.trim();
  return {
    taskId: taskIdOf(l.record, index),
    prompt: str(l.record, "question") ?? str(l.record, "prompt") ?? "",
    entryPoint: fnName,
    canonical: Array.isArray(solutions) && typeof solutions[0] === "string" ? solutions[0] : undefined,
    examples: starter ? [starter] : [],
    difficulty: str(l.record, "difficulty"),
    tests: { kind: "apps", inputs, outputs, count, fnName },
  };
}

const SHAPE_HINT =
  "each task needs base_input (EvalPlus), input_output (APPS), test_list (MBPP) or test with entry_point (HumanEval)";

/** `shape` "apps" (`--benchmarks apps:FILE`): every line must be an APPS task. */
export function tasksOfLines(lines: Line[], file: string, shape?: "apps"): EvalTask[] {
  return lines.map((l, index) => {
    const r = l.record;
    try {
      if (shape === "apps") {
        if (!("input_output" in r)) {
          throw new InputError("an APPS task needs input_output", {
            file,
            line: l.line,
            field: "input_output",
          });
        }
        return appsTask(l, file, index);
      }
      if ("base_input" in r) return evalplusTask(l, file, index);
      if ("input_output" in r) return appsTask(l, file, index);
      if ("test_list" in r) return mbppTask(l, file, index);
      if ("test" in r && "entry_point" in r) return humanevalTask(l, file, index);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`cannot read the task: ${(e as Error).message}`, { file, line: l.line });
    }
    throw new InputError("no tests in this task", { file, line: l.line }, { hint: SHAPE_HINT });
  });
}

function selectBuiltin(name: EvalBenchmarkName, tasks: EvalTask[]): EvalTask[] {
  if (name !== "mbpp") return tasks;
  return tasks.filter((t) => {
    const id = Number(t.taskId);
    return id >= MBPP_TEST_SPLIT.first && id <= MBPP_TEST_SPLIT.last;
  });
}

export function isEvalBenchmark(name: string): name is EvalBenchmarkName {
  return (EVAL_BENCHMARKS as readonly string[]).includes(name);
}

/** `apps:FILE`: a benchmark file read as APPS (every task's `input_output`, its `difficulty`). */
const APPS_PREFIX = "apps:";

/** The file of a --benchmarks entry that names one (`path.jsonl`, `apps:path.jsonl`), else undefined. */
export function benchmarkFileOf(name: string): { file: string; shape?: "apps" } | undefined {
  if (name.startsWith(APPS_PREFIX)) return { file: name.slice(APPS_PREFIX.length), shape: "apps" };
  if (isEvalBenchmark(name)) return undefined;
  return existsSync(name) || /\.jsonl(\.gz)?$/.test(name) ? { file: name } : undefined;
}

/**
 * One --benchmarks entry: a built-in name (found or fetched as decontaminate does), a .jsonl path,
 * or `apps:path.jsonl` (APPS rows, scored per difficulty too).
 */
export async function loadEvalBenchmark(name: string, sources: DatasetSources): Promise<EvalBenchmark> {
  let file: string;
  let data: Buffer;
  let origin: EvalBenchmark["origin"];
  const given = benchmarkFileOf(name);
  if (isEvalBenchmark(name)) {
    ({ file, data, origin } = await locateBuiltin(BENCHMARK_FILES[name as BenchmarkName], sources));
  } else if (given) {
    file = given.file;
    origin = "user";
    try {
      data = await fsp.readFile(file);
    } catch (e) {
      throw cannotReadError(e, "benchmark file", { file });
    }
  } else {
    throw new InputError(`unknown benchmark "${name}"`, undefined, {
      hint: `use one of ${EVAL_BENCHMARKS.join(", ")}, a path to a .jsonl file, or apps:path.jsonl`,
    });
  }
  let tasks = tasksOfLines(linesOf(data, file), file, given?.shape);
  if (isEvalBenchmark(name)) tasks = selectBuiltin(name, tasks);
  const ids = new Set<string>();
  for (const t of tasks) {
    if (ids.has(t.taskId)) throw new InputError(`task id "${t.taskId}" appears twice`, { file });
    ids.add(t.taskId);
  }
  const hasPlus = tasks.some((t) => t.tests.kind === "evalplus" && t.tests.plusInputs !== undefined);
  return { name, file, sha256: sha256Of(data), origin, hasPlus, tasks };
}
