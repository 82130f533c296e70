/**
 * generate on an APPS-shaped file (test/fixtures/apps-mini.jsonl: `problem_id`, `question`,
 * `input_output` as a JSON string or an object, stdin/stdout pairs or calls of `fn_name`,
 * `difficulty`, `solutions`, `starter_code`), through the built CLI against the fake server: each
 * sample's code is run against its problem's own cases, stdin programs and Solution methods alike,
 * and a best-of-n search picks by them.
 */
import { readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateArgs, ROOT, runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { readJsonlStrict } from "./support/jsonl-files.js";
import { createPlanScript } from "./support/plan-script.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON records read back from the run's files
type Rec = Record<string, any>;

const APPS = path.join(ROOT, "test/fixtures/apps-mini.jsonl");
const ROWS: Rec[] = readJsonlStrict(APPS);
/** The problems the scripted model solves (with the row's first solution); the others get wrong code. */
const SOLVED = new Set(["101", "201", "301"]);

function wrongCode(row: Rec): string {
  const io = typeof row.input_output === "string" ? JSON.parse(row.input_output) : row.input_output;
  return io.fn_name
    ? `class Solution:\n    def ${io.fn_name}(self, *args):\n        return None\n`
    : "print(0)\n";
}

let tmp: string;
let server: FakeServer;
const implementPrompts = new Map<string, string[]>();
/** Per problem, which implement replies are right (best-of-n: only the third). */
let rightReply: (id: string, n: number) => boolean = (id) => SOLVED.has(id);

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-apps-"));
  server = await startFakeOpenAiServer({
    models: ["google/gemma-2-2b-it"],
    script: createPlanScript({
      before: (ctx) => {
        if (ctx.purpose !== "implement") return undefined;
        const row = ROWS.find((r) => ctx.prompt.includes(r.question.split("\n")[0]));
        if (!row) return undefined;
        const id = String(row.problem_id);
        const seen = implementPrompts.get(id) ?? [];
        implementPrompts.set(id, [...seen, ctx.prompt]);
        const code = rightReply(id, seen.length) ? row.solutions[0] : wrongCode(row);
        return `\`\`\`python\n${code}\`\`\``;
      },
    }),
  });
});

afterAll(async () => {
  await server?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** generate on the APPS file with `flags`: the exit, stderr, the samples by id and the run dir. */
async function generateApps(name: string, flags: string[]) {
  const out = path.join(tmp, name);
  const args = generateArgs({ url: server.url, problems: APPS, out }, [...flags, "--id-field", "problem_id"]);
  const r = await runCli(args);
  expect(r.code, r.stderr).toBe(0);
  const samples = new Map(
    readJsonlStrict(path.join(out, "samples.jsonl")).map((s: Rec) => [s.id as string, s]),
  );
  return { samples, out, stderr: r.stderr };
}

describe("sra generate on APPS input_output", () => {
  it("runs each sample against its stdin/stdout pairs or fn_name calls", async () => {
    const { samples, stderr } = await generateApps("cot", ["--strategy", "cot"]);
    expect([...samples.keys()].sort()).toEqual(["101", "102", "201", "202", "301", "302"]);
    const verdicts = Object.fromEntries([...samples].map(([id, s]) => [id, s.meta.tests]));
    expect(verdicts).toMatchObject({
      "101": { status: "pass", passed: 3, total: 3 },
      "102": { status: "fail", passed: 0, total: 2 },
      "201": { status: "pass", passed: 2, total: 2 },
      "202": { status: "fail", total: 3 },
      "301": { status: "pass", passed: 3, total: 3 },
      "302": { status: "fail", passed: 0, total: 2 },
    });
    expect(verdicts["102"].failure).toContain("input 0");
    for (const s of samples.values()) expect(s.meta.compiles).toBe(true);
    // A call-based problem whose question does not name its function is told what the tests call.
    expect(implementPrompts.get("201")?.[0]).toContain("The tests call `maxProfit`.");
    expect(stderr).toContain("own tests passed by 3 of 6 samples");
  }, 60_000);

  it("best-of-n picks the candidate that passes the APPS cases", async () => {
    implementPrompts.clear();
    rightReply = (_id, n) => n === 2;
    const { samples, out } = await generateApps("bon", [
      "--strategy",
      "best-of-n",
      "--samples",
      "3",
      "--limit",
      "3",
    ]);
    for (const row of ROWS.slice(0, 3)) {
      const s = samples.get(String(row.problem_id)) as Rec;
      expect(s.code).toBe(row.solutions[0].trimEnd());
      expect(s.meta).toMatchObject({ codeFrom: "search", tests: { status: "pass" } });
    }
    expect(JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8")).thisRun.search).toMatchObject({
      "select.tests": 3,
      "candidate.passed": 3,
    });
  }, 60_000);
});
