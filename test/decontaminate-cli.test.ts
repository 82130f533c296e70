import { existsSync, readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { createServer } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DecontaminationReport } from "../src/decontaminate/report.js";
import { DATASETS, ROOT, runCli } from "./support/cli.js";

let tmp: string;
let ENV: Record<string, string>;
beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-decontaminate-cli-"));
  // Nothing here may reach the network: downloads would go to a loopback port with nothing listening.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  ENV = {
    SRA_CACHE_DIR: path.join(tmp, "no-cache"),
    SRA_DATASETS_URL: `http://127.0.0.1:${port}/`,
    SRA_DATASETS_DIR: "",
  };
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const SAMPLE = path.join(ROOT, "datasets/sample-problems.jsonl");
// HumanEval/0's docstring, pasted into a LeetCode-style statement.
const PASTED_HUMANEVAL = JSON.stringify({
  id: "pasted-he0",
  question:
    "Warm-up. Check if in given list of numbers, are any two numbers closer to each other than given threshold. Return a boolean.",
});
// MBPP task 11's text word for word (17 words, 8 grams).
const PASTED_MBPP = JSON.stringify({
  id: "pasted-mbpp11",
  question:
    "Write a python function to remove first and last occurrence of a given character from the string.",
});
// Odd but valid formatting that must survive byte for byte.
const ODD =
  '{ "question" : "Trouvez la plus longue sous-chaîne — sans répétition.\\u00e9" ,"id":"odd-1",  "z":[1,2.50,null] }';

async function smallInput(): Promise<{ file: string; lines: string[] }> {
  const sample = readFileSync(SAMPLE, "utf8").trimEnd().split("\n");
  const lines = [sample[0]!, PASTED_HUMANEVAL, sample[1]!, ODD, PASTED_MBPP, ...sample.slice(2)];
  const file = path.join(tmp, "small.jsonl");
  await fsp.writeFile(file, `${lines.join("\n")}\n`);
  return { file, lines };
}

const DS = ["--datasets-dir", DATASETS];

describe("sra decontaminate (built CLI)", () => {
  it("removes pasted benchmark text, keeps the rest byte for byte, in order", async () => {
    const { file, lines } = await smallInput();
    const out = path.join(tmp, "clean.jsonl");
    const removed = path.join(tmp, "removed.jsonl");
    const report = path.join(tmp, "report.json");
    const r = await runCli(
      ["decontaminate", file, "-o", out, "--removed", removed, "--report", report, ...DS],
      {
        env: ENV,
      },
    );
    expect(r.stderr).toMatch(/kept 6, removed 2/);
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(
      `${lines.filter((l) => l !== PASTED_HUMANEVAL && l !== PASTED_MBPP).join("\n")}\n`,
    );
    const rem = readFileSync(removed, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rem.map((x) => [x.id, x.line, x.benchmark, x.benchmarkId])).toEqual([
      ["pasted-he0", 2, "humaneval", "HumanEval/0"],
      ["pasted-mbpp11", 5, "mbpp", "11"],
    ]);
    expect(rem[1]).toMatchObject({ overlap: 1, shared: 8, benchmarkGrams: 8, problemGrams: 8 });
    expect(rem[0]!.record).toEqual(JSON.parse(PASTED_HUMANEVAL));

    const rep = JSON.parse(readFileSync(report, "utf8")) as DecontaminationReport;
    expect(rep.counts).toMatchObject({ problems: 8, kept: 6, removed: 2, invalid: 0 });
    expect(rep.definition).toMatchObject({ n: 10, threshold: 0.5, denominator: "min" });
    expect(rep.benchmarks.map((b) => [b.name, b.items, b.removed])).toEqual([
      ["humaneval", 164, 1],
      ["mbpp", 974, 1],
      ["humaneval-plus", 164, 0],
      ["mbpp-plus", 399, 0],
      ["mbpp-sanitized", 427, 0],
    ]);
    // HumanEval+ has the same docstring: over the threshold there too, though counted under humaneval.
    expect(rep.benchmarks[2]!.overThreshold).toBe(1);
    expect(rep.histogram.reduce((s, b) => s + b.count, 0)).toBe(8);
    expect(rep.top[0]).toMatchObject({ id: "pasted-mbpp11", overlap: 1, removed: true });
    expect(rep.top[1]!.longestSharedRun).toBe(
      "check if in given list of numbers are any two numbers closer to each other than given threshold",
    );
  });

  it("writes the same bytes on every run", async () => {
    const { file } = await smallInput();
    const outputs: string[][] = [];
    for (const k of [1, 2]) {
      const names = ["o", "r", "rep"].map((n) => path.join(tmp, `det-${k}-${n}`));
      const r = await runCli(
        ["decontaminate", file, "-o", names[0]!, "--removed", names[1]!, "--report", names[2]!, ...DS],
        { env: ENV },
      );
      expect(r.code).toBe(0);
      outputs.push(names.map((n) => readFileSync(n, "utf8")));
    }
    expect(outputs[1]).toEqual(outputs[0]);
  });

  it("--help lists every flag with its default", async () => {
    const r = await runCli(["decontaminate", "--help"]);
    expect(r.code).toBe(0);
    const flags = [
      "--output",
      "--removed",
      "--report",
      "--against",
      "--datasets-dir",
      "--datasets-url",
      "--cache-dir",
      "--ngram",
      "--threshold",
      "--denominator",
      "--question-field",
      "--id-field",
      "--skip-invalid",
      "--top",
      "--log-level",
    ];
    const help = r.stdout.replace(/\n\s+/g, " ");
    for (const flag of flags) {
      const at = help.indexOf(flag);
      expect(at, flag).toBeGreaterThan(0);
      const next = help.slice(at + flag.length).search(/ --?[a-z]/);
      const text = help.slice(at, at + flag.length + (next < 0 ? 400 : next));
      expect(text, flag).toMatch(/default|required/);
    }
    expect(help).toMatch(/--ngram <n> .*\(default: 10\)/);
    expect(help).toMatch(/--threshold <x> .*\(default: 0\.5\)/);
    expect(help).toMatch(
      /--against <list> .*default: humaneval,mbpp,humaneval-plus,mbpp-plus,mbpp-sanitized/,
    );
  });

  it.each<[string, string[], number]>([
    ["threshold out of range", ["--threshold", "1.5"], 2],
    ["unknown denominator", ["--denominator", "max"], 2],
    ["ngram 0", ["--ngram", "0"], 2],
    ["unknown benchmark", ["--against", "humaneval,apps"], 2],
    ["output is the input", ["-o", SAMPLE], 2],
  ])("exit 2: %s", async (_name, extra, code) => {
    const args = ["decontaminate", SAMPLE, "-o", path.join(tmp, "x.jsonl"), ...DS, ...extra];
    const r = await runCli(args, { env: ENV });
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code).toBe(code);
  });

  it("exit 1 on a missing input file, before touching any benchmark", async () => {
    const missing = path.join(tmp, "missing.jsonl");
    const r = await runCli(["decontaminate", missing, "-o", path.join(tmp, "m.jsonl")], {
      env: { ...ENV, SRA_CACHE_DIR: path.join(tmp, "empty-cache-2") },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`sra: ${missing}: file not found\n`);
  });

  it("exit 2 without -o", async () => {
    const r = await runCli(["decontaminate", SAMPLE, ...DS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--output/);
  });

  it("exit 1 on invalid input, listing file:line, and no output file; --skip-invalid runs and says so", async () => {
    const file = path.join(tmp, "bad.jsonl");
    await fsp.writeFile(file, `${readFileSync(SAMPLE, "utf8")}{"question": 5}\nnot json\n\n`);
    const out = path.join(tmp, "bad-out.jsonl");
    const r = await runCli(["decontaminate", file, "-o", out, ...DS], { env: ENV });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:6 (field "question"): question must be a string`);
    expect(r.stderr).toContain(`${file}:7: invalid JSON`);
    expect(r.stderr).toMatch(/--skip-invalid/);
    expect(existsSync(out)).toBe(false);
    expect((await fsp.readdir(tmp)).filter((f) => f.includes("bad-out"))).toEqual([]);

    const skip = await runCli(["decontaminate", file, "-o", out, "--skip-invalid", ...DS], { env: ENV });
    expect(skip.code).toBe(0);
    expect(skip.stderr).toMatch(/skipped 2 invalid records \(--skip-invalid\)/);
    expect(skip.stderr).toMatch(/skipped 1 blank line/);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(SAMPLE, "utf8"));
  });

  it("exit 1 with a clear message when a benchmark cannot be fetched", async () => {
    const r = await runCli(["decontaminate", SAMPLE, "-o", path.join(tmp, "y.jsonl"), "--against", "mbpp"], {
      env: { ...ENV, SRA_CACHE_DIR: path.join(tmp, "empty-cache") },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot fetch mbpp from ${ENV.SRA_DATASETS_URL}mbpp.jsonl: ECONNREFUSED`);
    expect(r.stderr).toMatch(/hint: .*--datasets-dir/);
  });

  it("checks against a file of your own (path:field)", async () => {
    const mine = path.join(tmp, "mine.jsonl");
    const sample = readFileSync(SAMPLE, "utf8").trimEnd().split("\n");
    const q = (JSON.parse(sample[2]!) as { question: string }).question;
    await fsp.writeFile(mine, `${JSON.stringify({ task_id: "T1", statement: q })}\n`);
    const out = path.join(tmp, "mine-out.jsonl");
    const r = await runCli(["decontaminate", SAMPLE, "-o", out, "--against", `${mine}:statement`], {
      env: ENV,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/kept 4, removed 1/);
    expect(readFileSync(out, "utf8")).not.toContain('"sample-3"');
  });

  it("runs on the paper's LeetCode file with stable, plausible counts", async () => {
    const out = path.join(tmp, "leetcode-clean.jsonl");
    const report = path.join(tmp, "leetcode-report.json");
    const input = path.join(DATASETS, "leetcode-uneasy.jsonl");
    const r = await runCli(["decontaminate", input, "-o", out, "--report", report, ...DS], { env: ENV });
    expect(r.code).toBe(0);
    const rep = JSON.parse(readFileSync(report, "utf8")) as DecontaminationReport;
    // 1,819 lines; two problems appear twice word for word (lines 1093 and 1791 repeat 842 and 1788).
    expect(rep.counts).toEqual({
      lines: 1819,
      blank: 0,
      invalid: 0,
      duplicates: 2,
      problems: 1817,
      kept: 1817,
      removed: 0,
      noGrams: 0,
    });
    // This is the paper's already-decontaminated set: nothing comes near 0.5.
    expect(Math.max(...rep.benchmarks.map((b) => b.maxOverlap))).toBeLessThan(0.5);
    expect(rep.histogram[0]!.count).toBeGreaterThan(1800);
    expect(rep.benchmarks.every((b) => b.pinned)).toBe(true);
    const inputLines = readFileSync(input, "utf8").split("\n");
    const expected = inputLines.filter((_, i) => i !== 1092 && i !== 1790).join("\n");
    expect(readFileSync(out, "utf8")).toBe(expected);
  });
});
