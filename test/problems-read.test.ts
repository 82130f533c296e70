import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError, InputErrors } from "../src/errors.js";
import { IdSet } from "../src/problems/id-set.js";
import {
  createReadProblemsStats,
  normalizeQuestion,
  problemId,
  type ReadProblemsOptions,
  readProblems,
} from "../src/problems/read-problems.js";
import type { Problem } from "../src/types.js";
import { findJsonSyntaxError } from "../src/util/json-syntax.js";

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-problems-"));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

let fileNo = 0;
async function write(content: string | Buffer, ext = "jsonl"): Promise<string> {
  const file = path.join(dir, `in-${fileNo++}.${ext}`);
  await fsp.writeFile(file, content);
  return file;
}

async function readAll(file: string, options: ReadProblemsOptions = {}) {
  const stats = createReadProblemsStats();
  const problems: Problem[] = [];
  let error: unknown;
  try {
    for await (const p of readProblems(file, options, stats)) problems.push(p);
  } catch (e) {
    error = e;
  }
  return { problems, stats, error };
}

describe("IdSet", () => {
  it("finds every id again after growing, and only those", () => {
    const set = new IdSet();
    for (let i = 0; i < 5000; i++) expect(set.addOrGet(`id-${i}`, i)).toBeUndefined();
    expect(set.size).toBe(5000);
    for (let i = 0; i < 5000; i += 7) expect(set.addOrGet(`id-${i}`, 99_999)).toBe(i);
    expect(set.addOrGet("id-5000", 5000)).toBeUndefined();
    expect(set.addOrGet("", 0)).toBeUndefined();
    expect(set.addOrGet("", 1)).toBe(0);
    // A derived id is keyed by its own hex digits, another id by its hash: equal ids still meet.
    const derived = problemId("Add two numbers.");
    expect(set.addOrGet(derived, 7)).toBeUndefined();
    expect(set.addOrGet(derived, 8)).toBe(7);
    expect(set.addOrGet(derived.toUpperCase(), 9)).toBeUndefined();
  });
});

describe("problemId", () => {
  it("is stable and ignores whitespace differences", () => {
    expect(problemId("Add two numbers.")).toMatch(/^p-[0-9a-f]{16}$/);
    expect(problemId("  Add   two\n\tnumbers. ")).toBe(problemId("Add two numbers."));
    expect(problemId("Add two numbers!")).not.toBe(problemId("Add two numbers."));
    // Pinned: ids end up in run directories, so they must never change between versions.
    expect(problemId("Add two numbers.")).toBe("p-000821b4f8d98fcb"); // sha256("Add two numbers.")
  });

  // normalizeQuestion skips the single spaces between words; it must still equal the plain definition.
  it.each([
    "a b",
    " a",
    "a ",
    "a  b",
    "a \nb",
    "a\n b",
    "a \u00a0 b",
    "\u3000a\u2003b\ufeff",
    "a\u200bb \u0085 c",
    "  \t\r\n  ",
    "",
  ])('normalizes %j exactly like replace(/\\s+/g, " ").trim()', (text) => {
    expect(normalizeQuestion(text)).toBe(text.replace(/\s+/g, " ").trim());
  });
});

describe("readProblems: good input", () => {
  it("reads ids, keeps the record and the exact line text", async () => {
    const lines = [
      '{"id": "two-sum", "question": "Find two numbers.", "difficulty": "easy", "extra": {"a": [1, 2]}}',
      '{"id": 42,"question":"Numeric id.\\u00e9"}',
      '{"question": "No id here."}',
    ];
    const { problems, stats, error } = await readAll(await write(`${lines.join("\n")}\n`));
    expect(error).toBeUndefined();
    expect(problems.map((p) => p.id)).toEqual(["two-sum", "42", problemId("No id here.")]);
    expect(problems.map((p) => p.line)).toEqual([1, 2, 3]);
    expect(problems.map((p) => p.text)).toEqual(lines);
    expect(problems[0]!.record).toEqual({
      id: "two-sum",
      question: "Find two numbers.",
      difficulty: "easy",
      extra: { a: [1, 2] },
    });
    expect(problems[1]!.question).toBe("Numeric id.é");
    expect(stats).toMatchObject({ lines: 3, problems: 3, blank: 0, invalid: 0, format: "jsonl" });
  });

  it("handles a BOM, CRLF, blank lines and a last line without newline", async () => {
    const file = await write(
      '\uFEFF{"question": "first"}\r\n\r\n   \r\n{"question": "second"}\r\n{"question": "third"}',
    );
    const { problems, stats, error } = await readAll(file);
    expect(error).toBeUndefined();
    expect(problems.map((p) => [p.line, p.question, p.text])).toEqual([
      [1, "first", '{"question": "first"}'],
      [4, "second", '{"question": "second"}'],
      [5, "third", '{"question": "third"}'],
    ]);
    expect(stats).toMatchObject({ lines: 5, blank: 2, problems: 3 });
  });

  it("reads a JSON array (decided by the first character, whatever the extension)", async () => {
    const file = await write(' \n [{"question": "a", "id": "x"}, {"question": "b"}]\n', "jsonl");
    const { problems, stats } = await readAll(file);
    expect(stats.format).toBe("json-array");
    expect(problems.map((p) => [p.id, p.line, p.text])).toEqual([
      ["x", 1, '{"question":"a","id":"x"}'],
      [problemId("b"), 2, '{"question":"b"}'],
    ]);
  });

  it("names JSON-array errors by element", async () => {
    const { error } = await readAll(await write('[{"question": "a"}, {"question": 3}]', "json"));
    expect((error as InputErrors).errors[0]!.message).toMatch(
      /\(field "\[1\]\.question"\): question must be a string/,
    );
  });

  it("uses --question-field and --id-field", async () => {
    const file = await write('{"content": "<p>HTML statement</p>", "slug": "s-1"}\n');
    const { problems } = await readAll(file, { questionField: "content", idField: "slug" });
    expect(problems[0]).toMatchObject({ id: "s-1", question: "<p>HTML statement</p>" });
  });

  it("reads lines longer than a read chunk", async () => {
    const long = "word ".repeat(700_000); // 3.5 MB on one line: spans several 1 MiB chunks
    const file = await write(`{"question": "short"}\n{"question": "${long}"}\n{"question": "after"}\n`);
    const { problems } = await readAll(file);
    expect(problems.map((p) => p.question.length)).toEqual([5, long.length, 5]);
  });

  it("drops a repeated question without an id, and says where it was first", async () => {
    const file = await write(
      '{"question": "Same  text"}\n{"question": "other"}\n{"question": "Same text"}\n',
    );
    const { problems, stats, error } = await readAll(file);
    expect(error).toBeUndefined();
    expect(problems.map((p) => p.question)).toEqual(["Same  text", "other"]);
    expect(stats.duplicates).toBe(1);
    expect(stats.warnings[0]!.message).toMatch(
      /:3 \(field "question"\): repeated question \(same text as line 1/,
    );
    const strict = await readAll(file, { duplicateQuestions: "error" });
    expect(strict.error).toBeInstanceOf(InputErrors);
  });

  it("counts valid records holding a literal U+FFFD", async () => {
    const { problems, stats } = await readAll(await write('{"question": "bad \uFFFD char"}\n'));
    expect(problems).toHaveLength(1);
    expect(stats.replacementChars).toBe(1);
  });
});

describe("readProblems: bad input", () => {
  const ok = '{"question": "fine"}';
  it.each<{ name: string; content: string | Buffer; line?: number; field?: string; message: RegExp }>([
    { name: "invalid JSON", content: `${ok}\n{"question": "x",}\n`, line: 2, message: /invalid JSON/ },
    {
      name: "truncated last line",
      content: `${ok}\n{"question": "cut off`,
      line: 2,
      message: /invalid JSON \(the last line has no newline: the file looks truncated\)/,
    },
    {
      name: "missing question",
      content: '{"title": "x"}\n',
      line: 1,
      field: "question",
      message: /missing question/,
    },
    {
      name: "empty question",
      content: '{"question": "  "}\n',
      line: 1,
      field: "question",
      message: /empty question/,
    },
    {
      name: "non-string question",
      content: '{"question": ["a"]}\n',
      line: 1,
      field: "question",
      message: /question must be a string, got an array/,
    },
    {
      name: "object id",
      content: '{"id": {"x": 1}, "question": "q"}\n',
      line: 1,
      field: "id",
      message: /id must be a string or a number, got an object/,
    },
    {
      name: "boolean id",
      content: '{"id": true, "question": "q"}\n',
      line: 1,
      field: "id",
      message: /got a boolean/,
    },
    { name: "empty id", content: '{"id": "", "question": "q"}\n', line: 1, field: "id", message: /empty id/ },
    {
      name: "duplicate explicit id",
      content: '{"id": 7, "question": "a"}\n{"id": "7", "question": "b"}\n',
      line: 2,
      field: "id",
      message: /duplicate id "7" \(first at line 1\)/,
    },
    {
      name: "not an object",
      content: `${ok}\n["question"]\n`,
      line: 2,
      message: /expected a JSON object, got an array/,
    },
    {
      name: "non-UTF-8 bytes",
      content: Buffer.concat([
        Buffer.from(`${ok}\n{"question": "caf`),
        Buffer.from([0xe9]),
        Buffer.from('"}\n'),
      ]),
      line: 2,
      message: /invalid UTF-8 bytes/,
    },
  ])("$name", async ({ content, line, field, message }) => {
    const file = await write(content);
    const { error, stats } = await readAll(file);
    expect(error).toBeInstanceOf(InputErrors);
    const e = (error as InputErrors).errors[0]!;
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toMatch(message);
    expect(e.location?.file).toBe(file);
    if (line !== undefined) expect(e.location?.line).toBe(line);
    if (field !== undefined) expect(e.location?.field).toBe(field);
    expect(stats.invalid).toBe(1);

    // --skip-invalid: the same record is skipped and counted, the good ones come through.
    const skipped = await readAll(file, { skipInvalid: true });
    expect(skipped.error).toBeUndefined();
    expect(skipped.stats.invalid).toBe(1);
    expect(skipped.problems.every((p) => p.question.length > 0)).toBe(true);
  });

  it.each([false, true])(
    "a JSON array that does not parse is one error at its line and column (--skip-invalid %s)",
    async (skipInvalid) => {
      const file = await write('[\n  {"question": "a"},\n  {"question" "b"}\n]');
      const { error, problems } = await readAll(file, { skipInvalid });
      expect(error).toBeInstanceOf(InputError);
      expect(error).not.toBeInstanceOf(InputErrors);
      const e = error as InputError;
      expect(e.location).toEqual({ file, line: 3, column: 15 });
      expect(e.message).toBe(`${file}:3:15: invalid JSON: Expected ':' after property name`);
      expect(e.hint).toMatch(
        /^fix the JSON at line 3, column 15: .*--skip-invalid skips bad records, not broken syntax/,
      );
      expect(problems).toEqual([]);
    },
  );

  it("reads everything in strict mode, then reports the first 20 and the total", async () => {
    const lines = [ok];
    for (let i = 0; i < 25; i++) lines.push(`{"question": ${i}}`);
    lines.push('{"question": "also fine"}');
    const { problems, stats, error } = await readAll(await write(`${lines.join("\n")}\n`));
    expect(error).toBeInstanceOf(InputErrors);
    const e = error as InputErrors;
    expect(e.total).toBe(25);
    expect(e.errors).toHaveLength(20);
    expect(e.message).toMatch(/^25 invalid input records:/);
    expect(e.message).toMatch(/\.\.\. and 5 more/);
    expect(e.exitCode).toBe(1);
    expect(stats.problems).toBe(2);
    // Nothing after the first error is handed out: whatever the caller made of it would be discarded.
    expect(problems.map((p) => p.question)).toEqual(["fine"]);
  });

  it("says when the file does not exist", async () => {
    const { error } = await readAll(path.join(dir, "nope.jsonl"));
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/nope\.jsonl: file not found/);
  });

  it("hints at --question-field when another text field is there", async () => {
    const { error } = await readAll(await write('{"content": "statement"}\n'));
    expect((error as InputErrors).errors[0]!.hint).toMatch(/--question-field content/);
  });
});

describe("findJsonSyntaxError", () => {
  // Where V8 gives a position it is the same offset; where it does not, we still give one.
  it.each<[string, number | undefined, number, number]>([
    ['[\n {"a": 1},\n {"a" 2}\n]', 19, 3, 7],
    ['[\n {"a": 1},\n', 13, 3, 1],
    ['[{"a":1}, x]', 10, 1, 11],
    ["[1,]", 3, 1, 4],
    ['{"a":1,}', 7, 1, 8],
    ["[1] 2", 4, 1, 5],
    ['"abc', 4, 1, 5],
    ["[01]", 2, 1, 3],
    ["[1.]", 3, 1, 4],
    ['["a\\x"]', 4, 1, 5],
    ["[tru]", 4, 1, 5],
    ["", 0, 1, 1],
  ])("%j: offset %i (line %i, column %i)", (text, offset, line, column) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(findJsonSyntaxError(text)).toEqual({ offset, line, column });
  });

  it.each(['[1, 2.5e-3, "x\\u00e9", {"a": [true, false, null]}]', ' {"a": {}} ', "-0"])(
    "%j is valid: no error",
    (text) => {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(findJsonSyntaxError(text)).toBeUndefined();
    },
  );
});
