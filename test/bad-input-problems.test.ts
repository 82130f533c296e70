/**
 * Broken problem files, as users assemble them by hand, through the real CLI: `sra generate` (the
 * whole file is validated before the server is asked anything) and `sra decontaminate`.
 *
 * "One clear line" means: the first stderr line is `sra: <file>:<line> (field "<field>"): <what>`
 * (without line or field only when there is none to name), at most a `hint:` line follows, and no
 * stack trace is printed unless --log-level debug. For several bad records the first line is the
 * count, `sra: N invalid input records:`, followed by one indented `<file>:<line> ...` line each.
 * Exit code 1 (bad input); inputs that are merely unusual (a BOM, CRLF, a JSON array) are read.
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemId } from "../src/problems/read-problems.js";
import { inShard } from "../src/run/shard.js";
import { generateArgs, runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { MODEL, readJsonlStrict, stackLines, stderrLines } from "./support/faults.js";
import { createPlanScript } from "./support/plan-script.js";

let tmp: string;
let server: FakeServer;
let bench: string;

const Q = (id: string, question: string) => JSON.stringify({ id, question });
const OK1 = Q("a", "Return the largest value of a list of integers.");
const OK2 = Q("b", "Return the number of distinct characters of a string.");
const TEN_MB = "x".repeat(10 * 1024 * 1024);
/** A record cut before a Latin-1 "é" (0xe9, invalid as UTF-8). */
const LATIN1_PREFIX = '{"id": "c", "question": "caf';

interface BadCase {
  name: string;
  content: string | Buffer;
  /** The first stderr line, after "sra: <file>". */
  first: RegExp;
  hint?: RegExp;
  /** Decontaminate reads it fine (nothing in it is wrong for a text filter). */
  decontaminateOk?: boolean;
}

const BAD: BadCase[] = [
  {
    name: "invalid JSON",
    content: `${OK1}\n{"id": "b", "question": "x",}\n`,
    first: /^:2: invalid JSON: Expected double-quoted property name/,
    hint: /fix this record, or pass --skip-invalid/,
  },
  {
    name: "a truncated last line",
    content: `${OK1}\n${OK2}\n{"id": "c", "question": "Return the su`,
    first: /^:3: invalid JSON \(the last line has no newline: the file looks truncated\)/,
  },
  {
    name: "a 10 MB question",
    content: `${OK1}\n${Q("big", TEN_MB)}\n`,
    first: /^:2 \(field "question"\): question is 10485760 characters long, over the limit of 100000$/,
    hint: /"maxQuestionChars"/,
    decontaminateOk: true,
  },
  {
    name: "non-UTF-8 bytes (Latin-1)",
    content: Buffer.concat([
      Buffer.from(`${OK1}\n${LATIN1_PREFIX}`),
      Buffer.from([0xe9]),
      Buffer.from('"}\n'),
    ]),
    first: new RegExp(
      `^:2: invalid UTF-8 bytes \\(first at character ${LATIN1_PREFIX.length + 1}; is the file in another encoding\\?\\)$`,
    ),
  },
  {
    name: "one object pretty-printed over several lines",
    content: `{\n  "id": "a",\n  "question": "Return the largest value."\n}\n`,
    first: /^ ?4 invalid input records:$/,
    hint: /JSON spread over several lines; JSON Lines needs one object per line: jq -c \./,
  },
  {
    name: "a missing question",
    content: `${OK1}\n{"id": "b", "title": "Two sum"}\n`,
    first: /^:2 \(field "question"\): missing question$/,
  },
  {
    name: "the question under another name",
    content: `{"id": "a", "problem": "Return the largest value."}\n`,
    first: /^:1 \(field "question"\): missing question$/,
    hint: /this record has "problem": pass --question-field problem/,
  },
  {
    name: "an empty question",
    content: `${OK1}\n{"id": "b", "question": "   "}\n`,
    first: /^:2 \(field "question"\): empty question$/,
  },
  {
    name: "a number where the question belongs",
    content: `${OK1}\n{"id": "b", "question": 42}\n`,
    first: /^:2 \(field "question"\): question must be a string, got a number$/,
  },
  {
    name: "an object where the id belongs",
    content: `{"id": {"n": 1}, "question": "Return the largest value."}\n`,
    first: /^:1 \(field "id"\): id must be a string or a number, got an object$/,
  },
  {
    name: 'duplicate ids (7 and "7")',
    content: `${Q("7", "Return the largest value.")}\n${OK2}\n{"id": 7, "question": "Another problem."}\n`,
    first: /^:3 \(field "id"\): duplicate id "7" \(first at line 1\)$/,
  },
  {
    name: "a JSON array with a syntax error",
    content: `[\n  ${OK1},\n  ${OK2},\n]\n`,
    first: /^:4:1: invalid JSON: Unexpected token '\]'$/,
    hint: /^hint: fix the JSON at line 4, column 1: the file is one JSON array/,
  },
  {
    name: "a line that is not an object",
    content: `${OK1}\n["Return the largest value."]\n`,
    first: /^:2: expected a JSON object, got an array$/,
  },
];

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-bad-input-"));
  server = await startFakeOpenAiServer({
    script: createPlanScript({ endAfterSteps: 2, seed: 4 }),
    models: [MODEL],
  });
  bench = path.join(tmp, "bench.jsonl");
  await fsp.writeFile(
    bench,
    `${JSON.stringify({ text: "add two numbers and return the sum of them both" })}\n`,
  );
});

afterAll(async () => {
  await server.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function write(content: string | Buffer, name = `problems-${n++}.jsonl`): Promise<string> {
  const file = path.join(tmp, name);
  await fsp.writeFile(file, content);
  return file;
}

function generate(problems: string, out: string, extra: string[] = []) {
  return runCli(
    generateArgs({ url: server.url, problems, out, model: MODEL }, ["--iterations", "2", ...extra]),
  );
}

function decontaminate(problems: string, out: string, extra: string[] = []) {
  return runCli(["decontaminate", problems, "-o", out, "--against", `${bench}:text`, ...extra]);
}

/** The one-clear-line contract for a bad input file (see the top of this file). */
function expectOneClearLine(stderr: string, file: string, first: RegExp, hint?: RegExp): void {
  const lines = stderrLines(stderr);
  expect(lines[0]?.startsWith(`sra: ${file}`) || lines[0]?.startsWith("sra: "), stderr).toBe(true);
  const head = (lines[0] as string).replace(/^sra: /, "");
  if (head.startsWith(file)) expect(head.slice(file.length)).toMatch(first);
  else {
    // A count of several records: the detail lines each name the file and a line.
    expect(` ${head}`).toMatch(first);
    const details = lines.filter((l) => l.startsWith("  "));
    expect(details.length).toBeGreaterThan(1);
    for (const d of details)
      expect(d).toMatch(new RegExp(`^  ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+`));
  }
  expect(lines.filter((l) => l.startsWith("sra: "))).toHaveLength(1);
  const hints = lines.filter((l) => l.startsWith("hint: "));
  expect(hints.length).toBeLessThanOrEqual(1);
  if (hint) expect(hints[0]).toMatch(hint);
  expect(stackLines(stderr)).toEqual([]);
}

describe("sra generate: a broken problems file gives one clear line, exit 1, before any model call", () => {
  it.each(BAD)("$name", async ({ content, first, hint }) => {
    const file = await write(content);
    const out = path.join(tmp, `gen-out-${n}`);
    const calls = server.calls.length;
    const r = await generate(file, out);
    expect(r.code, r.stderr).toBe(1);
    expectOneClearLine(r.stderr, file, first, hint);
    expect(server.calls.length).toBe(calls);
    await expect(fsp.access(out)).rejects.toThrow();
  });

  it("an empty file is an error too (an earlier step probably failed)", async () => {
    const file = await write("\n\n");
    const r = await generate(file, path.join(tmp, "gen-empty"));
    expect(r.code).toBe(1);
    expectOneClearLine(r.stderr, file, /^: no problems: the file is empty$/);
  });

  it("a missing file and a directory name the path", async () => {
    const missing = path.join(tmp, "nope.jsonl");
    const a = await generate(missing, path.join(tmp, "gen-missing"));
    expect(a.code).toBe(1);
    expectOneClearLine(a.stderr, missing, /^: file not found$/);
    const b = await generate(tmp, path.join(tmp, "gen-dir"));
    expect(b.code).toBe(1);
    expectOneClearLine(b.stderr, tmp, /^: is a directory, not a file$/);
  });

  it("prints the stack trace only with --log-level debug", async () => {
    const file = await write(`${OK1}\n{"id": "b", "question": 42}\n`);
    const quiet = await generate(file, path.join(tmp, "gen-quiet"));
    expect(stackLines(quiet.stderr)).toEqual([]);
    const debug = await generate(file, path.join(tmp, "gen-debug"), ["--log-level", "debug"]);
    expect(debug.code).toBe(1);
    expect(stackLines(debug.stderr).length).toBeGreaterThan(0);
  });

  it("--skip-invalid does not hide a broken JSON array behind 'the file is empty'", async () => {
    const file = await write(`[\n  ${OK1}\n  ${OK2}\n]\n`);
    const r = await generate(file, path.join(tmp, "gen-array-skip"), ["--skip-invalid"]);
    expect(r.code).toBe(1);
    expectOneClearLine(
      r.stderr,
      file,
      /^:3:3: invalid JSON: Expected ',' or '\]' after array element$/,
      /line 3, column 3/,
    );
    expect(r.stderr).not.toContain("empty");
    expect(r.stderr).not.toContain("one JSON object per line");
  });

  it("--skip-invalid runs the good records and names the bad ones", async () => {
    const file = await write(
      `${OK1}\n{"id": "b", "question": 42}\n${Q("c", TEN_MB)}\n${Q("a", "Same id again.")}\n${OK2.replace('"b"', '"d"')}\n`,
    );
    const out = path.join(tmp, "gen-skip");
    const r = await generate(file, out, ["--skip-invalid"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("skipped 3 invalid problem records (--skip-invalid)");
    expect(r.stderr).toContain(`${file}:2 (field "question"): question must be a string, got a number`);
    expect(
      readJsonlStrict(path.join(out, "samples.jsonl"))
        .map((s) => s.id)
        .sort(),
    ).toEqual(["a", "d"]);
  });
});

describe("sra generate: unusual but valid files are read", () => {
  it.each([
    ["a UTF-8 BOM", `\uFEFF${OK1}\n${OK2}\n`],
    ["CRLF line ends", `${OK1}\r\n${OK2}\r\n`],
    ["a JSON array where JSON Lines was expected", `[\n  ${OK1},\n  ${OK2}\n]\n`],
    ["blank lines and no final newline", `\n${OK1}\n\n   \n${OK2}`],
  ])("%s", async (_name, content) => {
    const file = await write(content);
    const out = path.join(tmp, `gen-ok-${n}`);
    const r = await generate(file, out);
    expect(r.code, r.stderr).toBe(0);
    const samples = readJsonlStrict(path.join(out, "samples.jsonl")) as { id: string; question: string }[];
    expect(samples.map((s) => s.id).sort()).toEqual(["a", "b"]);
    for (const s of samples) expect(s.question).toMatch(/^Return .*\.$/);
  });
});

describe("sra generate: repeated questions are noted only when the selection holds them", () => {
  // Line 5 repeats line 2's question (no ids): the reader keeps the first and drops the repeat.
  const questions = [
    "Sum a list.",
    "Reverse a string.",
    "Count vowels.",
    "Find the maximum.",
    "Sort a list.",
  ];
  const lines = [...questions.slice(0, 4), questions[1], questions[4]].map((q) =>
    JSON.stringify({ question: q }),
  );
  const repeatShard = inShard(problemId(questions[1] as string), { index: 1, count: 2 }) ? "1/2" : "2/2";
  const otherShard = repeatShard === "1/2" ? "2/2" : "1/2";
  it.each<[string, string[], boolean]>([
    ["--limit 4: the repeat comes after the fourth problem", ["--limit", "4"], false],
    ["--limit 5: it comes before the fifth", ["--limit", "5"], true],
    ["the whole file", [], true],
    ["the shard of its question", ["--shard", repeatShard], true],
    ["another shard", ["--shard", otherShard], false],
  ])("%s", async (_name, extra, noted) => {
    const file = await write(`${lines.join("\n")}\n`);
    const out = path.join(tmp, `gen-repeat-${n}`);
    const r = await generate(file, out, [...extra, "--stage", "plans", "--iterations", "1"]);
    expect(r.code, r.stderr).toBe(0);
    if (noted)
      expect(r.stderr).toContain(
        `sra: note: skipped 1 repeated questions (the first of each is kept):\n    ${file}:5`,
      );
    else expect(r.stderr).not.toContain("repeated");
    const summary = JSON.parse(await fsp.readFile(path.join(out, "summary.json"), "utf8"));
    expect(summary.problems.duplicatesSkipped).toBe(noted ? 1 : 0);
  });
});

describe("sra decontaminate: the same broken files", () => {
  it.each(BAD)("$name", async ({ content, first, hint, decontaminateOk }) => {
    const file = await write(content);
    const out = path.join(tmp, `dec-out-${n}.jsonl`);
    const r = await decontaminate(file, out);
    if (decontaminateOk) {
      // No model reads it: a long question is only text to compare.
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/kept 2, removed 0/);
      return;
    }
    expect(r.code, r.stderr).toBe(1);
    expectOneClearLine(r.stderr, file, first, hint);
    // No output, and no temporary file left beside it.
    await expect(fsp.access(out)).rejects.toThrow();
    expect((await fsp.readdir(tmp)).filter((f) => f.includes(path.basename(out)))).toEqual([]);
  });

  it("a BOM, CRLF and a JSON array are read", async () => {
    for (const content of [`\uFEFF${OK1}\n${OK2}\n`, `${OK1}\r\n${OK2}\r\n`, `[${OK1}, ${OK2}]`]) {
      const file = await write(content);
      const out = path.join(tmp, `dec-ok-${n}.jsonl`);
      const r = await decontaminate(file, out);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/kept 2, removed 0/);
      const kept = readJsonlStrict(out) as { id: string }[];
      expect(kept.map((k) => k.id)).toEqual(["a", "b"]);
    }
  });
});
