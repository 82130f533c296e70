/**
 * The benchmarks a training set is checked against (pure: names, pinned origins, and how the text to
 * compare is taken out of each record).
 *
 * Origins are raw files at fixed commits, so the bytes and their sha256 never change; they are the
 * commits the copies in ../shared/datasets came from (see SOURCES.md there).
 */
import { type ParseResult, parseJson } from "../util/parse-json.js";
import type { BenchmarkItem } from "./ngram-index.js";

export const BUILTIN_BENCHMARKS = [
  "humaneval",
  "mbpp",
  "humaneval-plus",
  "mbpp-plus",
  "mbpp-sanitized",
] as const;
export type BuiltinBenchmarkName = (typeof BUILTIN_BENCHMARKS)[number];

/** The paper evaluates on HumanEval, HumanEval+, MBPP and MBPP+: guard against all of their texts. */
export const DEFAULT_AGAINST: readonly string[] = BUILTIN_BENCHMARKS;

export interface BuiltinBenchmark {
  name: BuiltinBenchmarkName;
  /** The file's name in the cache, in a mirror, and in ../shared/datasets. */
  fileName: string;
  /** Other names accepted in --datasets-dir, as patterns (checked after fileName, sorted by name). */
  localPatterns: RegExp[];
  /** The pinned origin. */
  url: string;
  sha256: string;
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

const RAW = "https://raw.githubusercontent.com";

export const BUILTIN: Record<BuiltinBenchmarkName, BuiltinBenchmark> = {
  humaneval: {
    name: "humaneval",
    fileName: "HumanEval.jsonl.gz",
    localPatterns: [/^HumanEval\.jsonl$/],
    url: `${RAW}/openai/human-eval/6d43fb980f9fee3c892a914eda09951f772ad10d/data/HumanEval.jsonl.gz`,
    sha256: "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef",
    textSource: "the docstrings of `prompt` (164 tasks)",
    textOf: (r) => {
      const p = stringField(r, "prompt");
      return p === undefined ? undefined : docstringText(p);
    },
    idOf: taskId,
  },
  mbpp: {
    name: "mbpp",
    fileName: "mbpp.jsonl",
    localPatterns: [],
    url: `${RAW}/patdfb/TPC-EES/30c8c572bfcd0fc5fa537210710d7fde134e4868/mbpp/mbpp.jsonl`,
    sha256: "ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f",
    textSource: "`text` (all 974 tasks)",
    textOf: (r) => stringField(r, "text"),
    idOf: taskId,
  },
  "humaneval-plus": {
    name: "humaneval-plus",
    fileName: "HumanEvalPlus-v0.1.10.jsonl.gz",
    localPatterns: [/^HumanEvalPlus.*\.jsonl(\.gz)?$/],
    url: `${RAW}/evalplus/humanevalplus_release/200defce9e3429d28ca215b6dd061c0f7f31c18b/HumanEvalPlus.jsonl.gz`,
    sha256: "272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101",
    textSource: "the docstrings of `prompt` (164 tasks, v0.1.10)",
    textOf: (r) => {
      const p = stringField(r, "prompt");
      return p === undefined ? undefined : docstringText(p);
    },
    idOf: taskId,
  },
  "mbpp-plus": {
    name: "mbpp-plus",
    fileName: "MbppPlus-evalplus-git-767efcc.jsonl",
    localPatterns: [/^MbppPlus.*\.jsonl(\.gz)?$/],
    url: `${RAW}/evalplus/evalplus/767efcc368e0ef16568bba4ee2f1b005e849e8a6/MbppPlus.jsonl`,
    sha256: "08405a4e8764a4941cfe0945d25a956355a0454f364ea902c4020a44e7057973",
    textSource: "`prompt` without its ''' quotes (399 tasks)",
    textOf: (r) => {
      const p = stringField(r, "prompt");
      return p === undefined ? undefined : docstringText(p);
    },
    idOf: taskId,
  },
  "mbpp-sanitized": {
    name: "mbpp-sanitized",
    fileName: "sanitized-mbpp.json",
    localPatterns: [/^sanitized-mbpp\.jsonl?$/],
    url: `${RAW}/patdfb/TPC-EES/0f4e84d313671e09268aecb804d0e99062980869/mbpp/sanitized-mbpp.json`,
    sha256: "ca95deaa9a01ef0a6f439f88bcf0dd3db3563d22f22aad6cae04ebb9a8d8c8e9",
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

/**
 * JSON as Python's json module writes it: EvalPlus files hold bare `NaN`, `Infinity` and `-Infinity` in
 * their test inputs, which JSON.parse rejects. Those become null (they are never in the text we compare);
 * strings are left alone. Plain JSON takes the fast path.
 */
export function parsePythonJson(text: string): ParseResult<unknown> {
  const first = parseJson(text);
  if (first.ok || !/NaN|Infinity/.test(text)) return first;
  let out = "";
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    const m = /^(?:-?Infinity|NaN)/.exec(text.slice(i, i + 9));
    if (m) {
      out += `${text.slice(last, i)}null`;
      i += m[0].length - 1;
      last = i + 1;
    }
  }
  return parseJson(out + text.slice(last));
}
