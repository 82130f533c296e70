/**
 * Problem input, shared by every command: a JSONL file (one JSON object per line, streamed) or a JSON
 * array, each record with a question and optionally an id.
 *
 * Format: the first non-blank character decides, not the extension. `[` means a JSON array (read whole,
 * up to 256 MiB: convert bigger ones with `jq -c '.[]' in.json > in.jsonl`); anything else is JSON Lines
 * (streamed line by line, any size; the SRA-MCTS reference files are JSON Lines named `.json`).
 *
 * Every bad record is an InputError naming `file:line` and the field. Strict mode (the default) reads the
 * whole file and then throws one InputErrors with the first 20 and the total, so a user fixes them in
 * one pass; it stops yielding problems at the first error, since whatever the caller does with them
 * would be thrown away. With `skipInvalid` the bad records are skipped and counted in the stats.
 *
 * A question that repeats an earlier one word for word (after collapsing whitespace) and has no id of
 * its own is not an error: it would get the same derived id, so the repeat is dropped, counted in
 * `duplicates` and listed in `warnings` (the paper's own LeetCode file repeats two problems).
 */
import { isUtf8 } from "node:buffer";
import * as fsp from "node:fs/promises";
import { InputError, InputErrors } from "../errors.js";
import type { Problem } from "../types.js";
import { findJsonSyntaxError } from "../util/json-syntax.js";
import { parseJson } from "../util/parse-json.js";
import { IdSet } from "./id-set.js";
import { readProblemTests } from "./problem-tests.js";
import { openInput, type RawLine, readRawLineBatches } from "./raw-lines.js";
import { sha256Hex } from "./sha256.js";

export interface ReadProblemsOptions {
  /** The field that holds the problem statement (default "question"; LeetCode dumps use "content"). */
  questionField?: string;
  /** The field that holds the id (default "id"); absent or null means an id derived from the question. */
  idField?: string;
  /** Skip bad records (counted in the stats) instead of failing at the end. */
  skipInvalid?: boolean;
  /**
   * A question repeated without an id (same derived id): "skip" (default) keeps the first, drops the
   * repeat and counts it in `duplicates`/`warnings`; "error" makes it a bad record. Two records with
   * the same explicit id are always an error: they claim one identity for two records.
   */
  duplicateQuestions?: "skip" | "error";
  /**
   * A question longer than this (in characters) is a bad record. Unlimited when absent: decontamination
   * can read anything, while `generate` sets a limit, since a question that cannot fit a model's
   * context would only fail every call of its search (or, megabytes long, flood the server).
   */
  maxQuestionChars?: number;
  /**
   * Read and check each record's tests (`tests` / `test_list` with `setup`, or `input_output`; see
   * problem-tests.ts) into `problem.tests`: for generate, which runs its code against them. Off: those
   * fields are left alone like any other.
   */
  readTests?: boolean;
  /**
   * Told of each repeated question dropped (in "skip" mode), with the id it shares, as it is read: a
   * caller that selects part of the file (generate's --limit, --shard) reports only its part's repeats.
   */
  onRepeat?: (repeat: InputError, id: string) => void;
}

export interface ReadProblemsStats {
  /** Physical lines read (JSONL) or array elements (JSON array). */
  lines: number;
  /** Valid problems (yielded, except after the first error in strict mode). */
  problems: number;
  /** Blank lines, skipped. */
  blank: number;
  /** Bad records: invalid JSON or UTF-8, missing or bad fields, duplicate explicit ids. */
  invalid: number;
  /** The first 20 errors. */
  errors: InputError[];
  /** Which reader was used (decided by the first non-blank character). */
  format: "jsonl" | "json-array";
  /** Repeated questions without an id, dropped (see `duplicateQuestions`). */
  duplicates: number;
  /** The first 20 repeats dropped. */
  warnings: InputError[];
  /** Valid records that contain a literal U+FFFD (valid UTF-8, but usually a sign of earlier damage). */
  replacementChars: number;
}

export const MAX_REPORTED_ERRORS = 20;
/** JSON arrays are parsed whole; above this the user is asked for JSON Lines. */
export const MAX_JSON_ARRAY_BYTES = 256 * 1024 * 1024;

export function createReadProblemsStats(): ReadProblemsStats {
  return {
    lines: 0,
    problems: 0,
    blank: 0,
    invalid: 0,
    errors: [],
    duplicates: 0,
    warnings: [],
    format: "jsonl",
    replacementChars: 0,
  };
}

/**
 * The whitespace runs that normalising changes: every run except a lone " ". A run starting with
 * another whitespace character matches the first branch; one starting with " " matches the first
 * branch when a non-space whitespace character follows, otherwise the second; either way the match
 * is the whole run, since `\s*` and `\s+` are greedy.
 */
const NON_SINGLE_SPACE_RUN = / ?[^\S ]\s*| \s+/g;

/**
 * Whitespace collapsed to single spaces, trimmed: the form hashed into a derived id. Exactly
 * `question.replace(/\s+/g, " ").trim()` (trim() strips the same characters as `\s`), about 4 times
 * faster: most runs are the single spaces between words, which are left alone instead of being
 * replaced by themselves, one regex match each.
 */
export function normalizeQuestion(question: string): string {
  return question.trim().replace(NON_SINGLE_SPACE_RUN, " ");
}

/** A stable id for a question without one: "p-" + the first 16 hex digits of sha256(normalised text). */
export function problemId(question: string): string {
  return `p-${sha256Hex(normalizeQuestion(question)).slice(0, 16)}`;
}

/** A parsed record and where it came from, before it is checked. */
interface Entry {
  where: Where;
  value: unknown;
  text: string;
  hasReplacement: boolean;
}

interface Where {
  file: string;
  /** JSONL line number, or undefined for an array element (named by `element`). */
  line: number | undefined;
  element: number | undefined;
}

function locate(where: Where, field?: string): { file: string; line?: number; field?: string } {
  if (where.element !== undefined) {
    const path = `[${where.element}]${field === undefined ? "" : `.${field}`}`;
    return { file: where.file, field: path };
  }
  return {
    file: where.file,
    ...(where.line === undefined ? {} : { line: where.line }),
    ...(field === undefined ? {} : { field }),
  };
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/**
 * Check one parsed record and make a Problem of it (pure). Returns an InputError for a record that
 * cannot be a problem; duplicate ids are the caller's concern (they need the whole file).
 */
export function toProblem(
  value: unknown,
  where: Where,
  text: string,
  options: { questionField: string; idField: string; maxQuestionChars?: number; readTests?: boolean },
): Problem | InputError {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return new InputError(`expected a JSON object, got ${describeType(value)}`, locate(where));
  }
  const record = value as Record<string, unknown>;
  const q = record[options.questionField];
  if (q === undefined) {
    const others = ["question", "content", "text", "prompt", "problem", "description"].filter(
      (k) => k !== options.questionField && typeof record[k] === "string",
    );
    return new InputError(
      "missing question",
      locate(where, options.questionField),
      others.length > 0 ? { hint: `this record has "${others[0]}": pass --question-field ${others[0]}` } : {},
    );
  }
  if (typeof q !== "string") {
    return new InputError(
      `question must be a string, got ${describeType(q)}`,
      locate(where, options.questionField),
    );
  }
  if (q.trim() === "") return new InputError("empty question", locate(where, options.questionField));
  if (options.maxQuestionChars !== undefined && q.length > options.maxQuestionChars) {
    return new InputError(
      `question is ${q.length} characters long, over the limit of ${options.maxQuestionChars}`,
      locate(where, options.questionField),
      {
        hint: 'shorten it, or raise "input": {"maxQuestionChars": N} in --config (null: no limit)',
      },
    );
  }
  const rawId = record[options.idField];
  let id: string;
  if (rawId === undefined || rawId === null) {
    id = problemId(q);
  } else if (typeof rawId === "string") {
    if (rawId.trim() === "") return new InputError("empty id", locate(where, options.idField));
    id = rawId;
  } else if (typeof rawId === "number" && Number.isFinite(rawId)) {
    id = String(rawId);
  } else {
    return new InputError(
      `id must be a string or a number, got ${describeType(rawId)}`,
      locate(where, options.idField),
    );
  }
  const problem: Problem = { id, question: q, line: where.line ?? (where.element ?? 0) + 1, record, text };
  if (options.readTests) {
    const tests = readProblemTests(record, text, (field) => locate(where, field));
    if (tests instanceof InputError) return tests;
    if (tests) problem.tests = tests;
  }
  return problem;
}

/** The first non-blank byte of a file (after a BOM), or undefined for an empty or blank file. */
async function firstSignificantByte(file: string): Promise<number | undefined> {
  const stream = await openInput(file);
  try {
    let first = true;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let i = 0;
      if (first && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
      first = false;
      for (; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
      }
    }
    return undefined;
  } finally {
    stream.destroy();
  }
}

/**
 * The records of a JSON array file. What is wrong with the file as a whole (too big, not UTF-8, not
 * valid JSON) is thrown, not yielded: the array is one value read whole, so there are no records to
 * skip past it, and --skip-invalid would only report an empty file.
 */
async function* readArrayEntries(file: string, stats: ReadProblemsStats): AsyncGenerator<Entry> {
  const { size } = await fsp.stat(file);
  if (size > MAX_JSON_ARRAY_BYTES) {
    throw new InputError(
      `a JSON array of ${size} bytes is too big to read whole`,
      { file },
      {
        hint: `convert it to JSON Lines, which is streamed: jq -c '.[]' ${file} > problems.jsonl`,
      },
    );
  }
  let buf = await fsp.readFile(file);
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
  if (!isUtf8(buf)) {
    let line = 1;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      const end = nl < 0 ? buf.length : nl;
      if (!isUtf8(buf.subarray(start, end))) break;
      if (nl < 0) break;
      line++;
      start = nl + 1;
    }
    throw new InputError("invalid UTF-8 bytes (is the file in another encoding?)", { file, line });
  }
  const text = buf.toString("utf8");
  const parsed = parseJson(text);
  if (!parsed.ok) throw arraySyntaxError(file, text, parsed.error);
  if (!Array.isArray(parsed.value)) {
    throw new InputError(`expected a JSON array of problems, got ${describeType(parsed.value)}`, { file });
  }
  const items = parsed.value as unknown[];
  for (let i = 0; i < items.length; i++) {
    stats.lines++;
    const value = items[i];
    const textOf = JSON.stringify(value) ?? "null";
    yield {
      where: { file, line: undefined, element: i },
      value,
      text: textOf,
      hasReplacement: textOf.includes("\uFFFD"),
    };
  }
}

/** A JSON array that does not parse: where (line and column), and that it must be fixed there. */
function arraySyntaxError(file: string, text: string, error: string): InputError {
  const at = findJsonSyntaxError(text);
  // V8's "at position N" and its quote of the text (newlines and all) give way to the line and column.
  const why = error.replace(/ in JSON at position \d+.*$/s, "").replace(/, .*is not valid JSON$/s, "");
  const where = at ? `line ${at.line}, column ${at.column}` : "the place JSON.parse names";
  return new InputError(
    `invalid JSON: ${why}`,
    { file, ...(at ? { line: at.line, column: at.column } : {}) },
    {
      hint:
        `fix the JSON at ${where}: the file is one JSON array, read whole, so one syntax error stops all of ` +
        "it (--skip-invalid skips bad records, not broken syntax)",
    },
  );
}

/** One line of a JSON Lines file as a record, an InputError, or undefined for a blank line. */
function lineEntry(
  { line, bytes, terminated }: RawLine,
  file: string,
  stats: ReadProblemsStats,
): Entry | InputError | undefined {
  stats.lines++;
  const text = bytes.toString("utf8");
  const hasReplacement = text.includes("\uFFFD");
  if (hasReplacement && !isUtf8(bytes)) {
    const col = text.indexOf("\uFFFD") + 1;
    return new InputError(
      `invalid UTF-8 bytes (first at character ${col}; is the file in another encoding?)`,
      { file, line },
    );
  }
  if (text.trim() === "") {
    stats.blank++;
    return undefined;
  }
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const torn = terminated ? "" : " (the last line has no newline: the file looks truncated)";
    // A lone "{" opening the file: one pretty-printed object (or `json.dump(..., indent=2)` per
    // record), which JSON Lines cannot be. Say so, rather than only listing every line as bad.
    const spread = text.trim() === "{" && stats.lines - stats.blank === 1;
    return new InputError(
      `invalid JSON${torn}: ${parsed.error}`,
      { file, line },
      spread
        ? {
            hint: `this looks like JSON spread over several lines; JSON Lines needs one object per line: jq -c . ${file} > problems.jsonl`,
          }
        : {},
    );
  }
  return { where: { file, line, element: undefined }, value: parsed.value, text, hasReplacement };
}

/**
 * Stream the problems of a file. `stats` (optional, filled in place) counts lines, problems, blank
 * lines and bad records, and keeps the first 20 errors; in skip mode the caller reports them.
 */
export async function* readProblems(
  file: string,
  options: ReadProblemsOptions = {},
  stats: ReadProblemsStats = createReadProblemsStats(),
): AsyncGenerator<Problem> {
  const questionField = options.questionField ?? "question";
  const idField = options.idField ?? "id";
  const skipInvalid = options.skipInvalid ?? false;
  const duplicateQuestions = options.duplicateQuestions ?? "skip";
  // Ids seen so far: the reader's only state that grows with the input (16-32 bytes a problem).
  const seen = new IdSet();
  const fail = (e: InputError): void => {
    stats.invalid++;
    if (stats.errors.length < MAX_REPORTED_ERRORS) stats.errors.push(e);
  };

  const checkOptions = {
    questionField,
    idField,
    ...(options.maxQuestionChars === undefined ? {} : { maxQuestionChars: options.maxQuestionChars }),
    ...(options.readTests ? { readTests: true } : {}),
  };
  /** Check and count one entry: the problem to yield, or undefined (bad, repeated, or after an error). */
  const accept = (entry: Entry | InputError): Problem | undefined => {
    if (entry instanceof InputError) {
      fail(entry);
      return undefined;
    }
    const problem = toProblem(entry.value, entry.where, entry.text, checkOptions);
    if (problem instanceof InputError) {
      fail(problem);
      return undefined;
    }
    const firstSeen = seen.addOrGet(problem.id, entry.where.element ?? entry.where.line ?? 0);
    if (firstSeen !== undefined) {
      const firstAt = stats.format === "json-array" ? `element [${firstSeen}]` : `line ${firstSeen}`;
      const derived = (entry.value as Record<string, unknown>)[idField] == null;
      if (derived) {
        const repeat = new InputError(
          `repeated question (same text as ${firstAt}; derived id "${problem.id}")`,
          locate(entry.where, questionField),
        );
        if (duplicateQuestions === "error") fail(repeat);
        else {
          stats.duplicates++;
          if (stats.warnings.length < MAX_REPORTED_ERRORS) stats.warnings.push(repeat);
          options.onRepeat?.(repeat, problem.id);
        }
      } else {
        fail(
          new InputError(`duplicate id "${problem.id}" (first at ${firstAt})`, locate(entry.where, idField)),
        );
      }
      return undefined;
    }
    stats.problems++;
    if (entry.hasReplacement) stats.replacementChars++;
    // Strict mode: after the first error nothing the caller does with later problems can be kept.
    return skipInvalid || stats.invalid === 0 ? problem : undefined;
  };

  const first = await firstSignificantByte(file);
  stats.format = first === 0x5b ? "json-array" : "jsonl";
  if (stats.format === "json-array") {
    for await (const entry of readArrayEntries(file, stats)) {
      const problem = accept(entry);
      if (problem !== undefined) yield problem;
    }
  } else {
    // One await per read chunk (up to 1 MiB), not per line: the lines of a chunk are checked in a loop.
    for await (const batch of readRawLineBatches(file)) {
      for (const raw of batch) {
        const entry = lineEntry(raw, file, stats);
        if (entry === undefined) continue;
        const problem = accept(entry);
        if (problem !== undefined) yield problem;
      }
    }
  }
  if (!skipInvalid && stats.invalid > 0) {
    // The first error's own advice (e.g. "pass --question-field content") beats the generic one.
    const own = stats.errors[0]?.hint;
    throw new InputErrors(stats.errors, stats.invalid, {
      hint:
        own ??
        (stats.invalid === 1
          ? "fix this record, or pass --skip-invalid to skip it (skipped records are counted and reported)"
          : "fix these records, or pass --skip-invalid to skip them (they are counted and reported)"),
    });
  }
}
