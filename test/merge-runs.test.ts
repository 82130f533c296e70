/**
 * `sra generate --shard i/n` + `sra merge` through the real CLI: the shards partition the input
 * (after --limit), and merge puts them back with dedup, conflict reports and config checks.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemId } from "../src/problems/read-problems.js";
import { generateArgs, runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { readJsonlStrict as readJsonl } from "./support/jsonl-files.js";
import { createPlanScript } from "./support/plan-script.js";
import { makeSample, writeRunFixture } from "./support/run-fixture.js";

let tmp: string;
let problems: string;
let server: FakeServer;
let shard1: string;
let shard2: string;

const QUESTIONS = Array.from(
  { length: 10 },
  (_, i) =>
    `Question ${i}: count the ${["vowels", "digits", "spaces", "capitals", "commas"][i % 5]} in a string of length ${i + 5}.`,
);
const ALL_IDS = QUESTIONS.map(problemId);
const LIMIT = 8;

const ids = (file: string) => readJsonl(file).map((r) => r.id as string);

function generate(out: string, extra: string[]) {
  return runCli(generateArgs({ url: server.url, problems, out }, ["--iterations", "4", ...extra]));
}

async function copyDir(from: string, to: string): Promise<void> {
  await fsp.cp(from, to, { recursive: true });
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-merge-"));
  problems = path.join(tmp, "problems.jsonl");
  await fsp.writeFile(problems, `${QUESTIONS.map((q) => JSON.stringify({ question: q })).join("\n")}\n`);
  server = await startFakeOpenAiServer({
    script: createPlanScript({ endAfterSteps: 2, seed: 4 }),
    models: ["google/gemma-2-2b-it"],
    latency: { baseMs: 1, perTokenMs: 0 },
  });
  shard1 = path.join(tmp, "shard-1");
  shard2 = path.join(tmp, "shard-2");
  const [a, b] = await Promise.all([
    generate(shard1, ["--shard", "1/2", "--limit", String(LIMIT)]),
    generate(shard2, ["--shard", "2/2", "--limit", String(LIMIT)]),
  ]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
});

afterAll(async () => {
  await server.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe("sharding", () => {
  it("shards split the first --limit problems with no overlap", () => {
    const a = ids(path.join(shard1, "samples.jsonl"));
    const b = ids(path.join(shard2, "samples.jsonl"));
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect(new Set([...a, ...b])).toEqual(new Set(ALL_IDS.slice(0, LIMIT)));
    const config = JSON.parse(readFileSync(path.join(shard1, "config.json"), "utf8"));
    expect(config.input.shard).toEqual({ index: 1, count: 2 });
  });
});

describe("sra merge", () => {
  it("merges shards into one run: every id once, config without a shard", async () => {
    const out = path.join(tmp, "merged");
    const r = await runCli(["merge", shard1, shard2, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    for (const file of ["samples.jsonl", "plans.jsonl", "trees.jsonl"]) {
      const merged = ids(path.join(out, file));
      expect(merged).toHaveLength(LIMIT);
      expect(new Set(merged)).toEqual(new Set(ALL_IDS.slice(0, LIMIT)));
    }
    const config = JSON.parse(readFileSync(path.join(out, "config.json"), "utf8"));
    expect(config.input.shard).toBeNull();
    expect(config.mergedFrom).toEqual([shard1, shard2]);
    const report = JSON.parse(readFileSync(path.join(out, "merge-report.json"), "utf8"));
    expect(report.conflicts).toEqual([]);
    expect(report.output.samples).toBe(LIMIT);
    // Nothing left behind beside --out.
    expect(readdirSync(tmp).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("deduplicates identical records and reports conflicts (the first run wins)", async () => {
    const copy = path.join(tmp, "shard-1-copy");
    await copyDir(shard1, copy);
    const samplesFile = path.join(copy, "samples.jsonl");
    const samples = readJsonl(samplesFile);
    const changedId = samples[0]?.id as string;
    samples[0] = { ...samples[0], code: "def other():\n    return 42\n" };
    // A different timing alone is not a conflict.
    const s1 = samples[1] as { meta: { seconds: number } } | undefined;
    if (s1) s1.meta.seconds += 5;
    await fsp.writeFile(samplesFile, `${samples.map((s) => JSON.stringify(s)).join("\n")}\n`);

    const out = path.join(tmp, "merged-conflict");
    const r = await runCli(["merge", shard1, copy, shard2, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`conflict in samples.jsonl: id ${changedId}`);
    const report = JSON.parse(readFileSync(path.join(out, "merge-report.json"), "utf8"));
    expect(report.conflicts).toEqual([
      { file: "samples.jsonl", id: changedId, keptFrom: shard1, droppedFrom: copy },
    ]);
    expect(report.duplicates.samples).toBe(samples.length - 1);
    const merged = readJsonl(path.join(out, "samples.jsonl"));
    expect(merged).toHaveLength(LIMIT);
    expect((merged.find((s) => s.id === changedId) as { code: string }).code).not.toContain("other");

    // --strict: the same conflict is an error, and nothing is written.
    const strictOut = path.join(tmp, "merged-conflict-strict");
    const strict = await runCli(["merge", shard1, copy, shard2, "--out", strictOut, "--strict"]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(`conflict in samples.jsonl: id ${changedId}`);
    expect(strict.stderr).toContain(
      `sra: 1 conflict (same id, different content): nothing written to ${strictOut}`,
    );
    expect(existsSync(strictOut)).toBe(false);
    expect((await fsp.readdir(tmp)).filter((f) => f.includes("merged-conflict-strict"))).toEqual([]);
    // Without conflicts, --strict merges as usual.
    const cleanOut = path.join(tmp, "merged-clean-strict");
    const clean = await runCli(["merge", shard1, shard2, "--out", cleanOut, "--strict"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(readJsonl(path.join(cleanOut, "samples.jsonl"))).toHaveLength(LIMIT);
  });

  it("drops a failure that another run finished, keeps the others", async () => {
    const withFailures = path.join(tmp, "shard-1-failures");
    await copyDir(shard1, withFailures);
    const finishedElsewhere = ids(path.join(shard2, "samples.jsonl"))[0] as string;
    const unfinished = ALL_IDS[LIMIT] as string; // outside --limit: no run has it
    await fsp.writeFile(
      path.join(withFailures, "failures.jsonl"),
      `${[
        { id: finishedElsewhere, stage: "code", kind: "no-code", error: "x", attempts: 3 },
        { id: unfinished, stage: "plans", kind: "llm-500", error: "y" },
      ]
        .map((f) => JSON.stringify(f))
        .join("\n")}\n`,
    );
    const out = path.join(tmp, "merged-failures");
    const r = await runCli(["merge", withFailures, shard2, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(ids(path.join(out, "failures.jsonl"))).toEqual([unfinished]);
    const report = JSON.parse(readFileSync(path.join(out, "merge-report.json"), "utf8"));
    expect(report.failuresResolved).toBe(1);
  });

  it("refuses runs whose result-affecting settings differ, writing nothing", async () => {
    const other = path.join(tmp, "shard-2-other");
    await copyDir(shard2, other);
    const configFile = path.join(other, "config.json");
    const config = JSON.parse(readFileSync(configFile, "utf8"));
    config.search.c = 0.9;
    config.run.concurrency = 99; // speed: allowed to differ
    await fsp.writeFile(configFile, JSON.stringify(config));
    const out = path.join(tmp, "merged-refused");
    const r = await runCli(["merge", shard1, other, "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("search.c");
    expect(r.stderr).not.toContain("concurrency");
    await expect(fsp.access(out)).rejects.toThrow();
  });

  it.each([
    [["merge", "--out", "x"], 2, /missing required argument/],
    [["merge", "/nonexistent/run", "--out", "x"], 1, /not a run directory/],
  ])("usage errors: %j", async (argv, code, message) => {
    const r = await runCli(argv, { cwd: tmp });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it("merges runs far larger than a stream buffer without a MaxListenersExceededWarning", async () => {
    // 2 x 120 samples of ~4 KB: each output file waits for "drain" dozens of times.
    const big = (from: number) =>
      Array.from({ length: 120 }, (_, i) =>
        makeSample({ id: `big-${from + i}`, code: `def f():\n    return ${"1 + ".repeat(1000)}1` }),
      );
    const a = await writeRunFixture(path.join(tmp, "big-a"), { samples: big(0), failures: [] });
    const b = await writeRunFixture(path.join(tmp, "big-b"), { samples: big(120), failures: [] });
    const out = path.join(tmp, "merged-big");
    const r = await runCli(["merge", a, b, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/MaxListenersExceededWarning|Warning:/);
    expect(ids(path.join(out, "samples.jsonl"))).toHaveLength(240);
  });

  it("will not overwrite a non-empty --out", async () => {
    const out = path.join(tmp, "occupied");
    await fsp.mkdir(out);
    await fsp.writeFile(path.join(out, "keep.txt"), "mine");
    const r = await runCli(["merge", shard1, shard2, "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("not empty");
    expect(readFileSync(path.join(out, "keep.txt"), "utf8")).toBe("mine");
  });
});
