/**
 * The benchmarks a training set is checked against (pure: names, pinned origins, and how the text to
 * compare is taken out of each record).
 *
 * The pinned files (origins at fixed commits, sha256) are in src/benchmarks/sources.ts, shared with
 * `sra eval`.
 */
import {
  BENCHMARK_FILES,
  BENCHMARK_NAMES,
  type BenchmarkFile,
  type BenchmarkName,
} from "../benchmarks/sources.js";
import type { BenchmarkItem } from "./ngram-index.js";

export { parsePythonJson } from "../util/python-json.js";

export const BUILTIN_BENCHMARKS = BENCHMARK_NAMES;
export type BuiltinBenchmarkName = BenchmarkName;

/** The paper evaluates on HumanEval, HumanEval+, MBPP and MBPP+: guard against all of their texts. */
export const DEFAULT_AGAINST: readonly string[] = BUILTIN_BENCHMARKS;

/** A benchmark file (src/benchmarks/sources.ts) and how decontamination reads its records. */
export interface BuiltinBenchmark extends BenchmarkFile {
  /** What the text of one record is, in words, for --help and the README. */
  textSource: string;
  /** The text to compare, or undefined when the record has none. */
  textOf(record: Record<string, unknown>): string | undefined;
  idOf(record: Record<string, unknown>, index: number): string;
}

const TRIPLE_QUOTED = /("""|''')([\s\S]*?)\1/g;

/**
 * The natural-language text of a Python prompt: its docstrings (triple-quoted strings right after a
 * line ending in ":", i.e. a def or class header), joined by newlines. HumanEval's helper functions keep
 * their docstrings (they are part of the task); a module constant such as HumanEval/64's
 * `FIX = """..."""` does not count. A prompt with no docstring falls back to all its triple-quoted
 * strings (MBPP+ wraps the task in ''' ... '''), and one with none to the whole prompt.
 */
export function docstringText(prompt: string): string {
  const docstrings: string[] = [];
  const quoted: string[] = [];
  for (const m of prompt.matchAll(TRIPLE_QUOTED)) {
    const body = (m[2] ?? "").trim();
    quoted.push(body);
    if (prompt.slice(0, m.index).trimEnd().endsWith(":")) docstrings.push(body);
  }
  if (docstrings.length > 0) return docstrings.join("\n");
  if (quoted.length > 0) return quoted.join("\n");
  return prompt.trim();
}

function stringField(record: Record<string, unknown>, field: string): string | undefined {
  const v = record[field];
  return typeof v === "string" ? v : undefined;
}

function taskId(record: Record<string, unknown>, index: number): string {
  const v = record.task_id ?? record.id;
  return typeof v === "string" || typeof v === "number" ? String(v) : String(index + 1);
}

export const BUILTIN: Record<BuiltinBenchmarkName, BuiltinBenchmark> = {
  humaneval: {
    ...BENCHMARK_FILES.humaneval,
    textSource: "the docstrings of `prompt` (164 tasks)",
    textOf: (r) => {
      const p = stringField(r, "prompt");
      return p === undefined ? undefined : docstringText(p);
    },
    idOf: taskId,
  },
  mbpp: {
    ...BENCHMARK_FILES.mbpp,
    textSource: "`text` (all 974 tasks)",
    textOf: (r) => stringField(r, "text"),
    idOf: taskId,
  },
  "humaneval-plus": {
    ...BENCHMARK_FILES["humaneval-plus"],
    textSource: "the docstrings of `prompt` (164 tasks, v0.1.10)",
    textOf: (r) => {
      const p = stringField(r, "prompt");
      return p === undefined ? undefined : docstringText(p);
    },
    idOf: taskId,
  },
  "mbpp-plus": {
    ...BENCHMARK_FILES["mbpp-plus"],
    textSource: "`prompt` without its ''' quotes (399 tasks)",
    textOf: (r) => {
      const p = stringField(r, "prompt");
      return p === undefined ? undefined : docstringText(p);
    },
    idOf: taskId,
  },
  "mbpp-sanitized": {
    ...BENCHMARK_FILES["mbpp-sanitized"],
    textSource: "`prompt` (427 tasks)",
    textOf: (r) => stringField(r, "prompt"),
    idOf: taskId,
  },
};

export function isBuiltinBenchmark(name: string): name is BuiltinBenchmarkName {
  return (BUILTIN_BENCHMARKS as readonly string[]).includes(name);
}

/** Fields tried, in order, for the text of a user file's record when no field is named. */
export const USER_TEXT_FIELDS = ["question", "text", "prompt"] as const;

/** A user benchmark: `path` or `path:field`. The field is split off only when the path alone is not a file. */
export interface UserBenchmarkSpec {
  spec: string;
  path: string;
  field: string | undefined;
}

export function parseUserBenchmarkSpec(spec: string, exists: (path: string) => boolean): UserBenchmarkSpec {
  if (exists(spec)) return { spec, path: spec, field: undefined };
  const m = /^(.+):([A-Za-z_][\w.-]*)$/.exec(spec);
  if (m && exists(m[1]!)) return { spec, path: m[1]!, field: m[2]! };
  return { spec, path: spec, field: undefined };
}

export interface ExtractedItems {
  items: BenchmarkItem[];
  /** Records with no usable text (counted, reported, not compared). */
  missing: number;
}

/** Benchmark items from parsed records (pure). */
export function itemsOfRecords(
  benchmark: string,
  records: readonly unknown[],
  textOf: (record: Record<string, unknown>) => string | undefined,
  idOf: (record: Record<string, unknown>, index: number) => string,
): ExtractedItems {
  const items: BenchmarkItem[] = [];
  let missing = 0;
  records.forEach((value, index) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      missing++;
      return;
    }
    const record = value as Record<string, unknown>;
    const text = textOf(record);
    if (text === undefined || text.trim() === "") {
      missing++;
      return;
    }
    items.push({ benchmark, id: idOf(record, index), text });
  });
  return { items, missing };
}

/** The text of a user file's record: the named field, or the first of question/text/prompt present. */
export function userTextOf(
  field: string | undefined,
): (record: Record<string, unknown>) => string | undefined {
  return (record) => {
    if (field !== undefined) return stringField(record, field);
    for (const f of USER_TEXT_FIELDS) {
      const v = stringField(record, f);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

export { taskId as userIdOf };
