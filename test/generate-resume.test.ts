/**
 * Resume through the real CLI against the fake server: reruns add nothing, a larger --limit adds only
 * the new problems, a torn last line is repaired and redone, and a SIGKILL mid-run followed by a rerun
 * ends with exactly the set an uninterrupted run produces (no duplicates, every line parses).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, generateArgs, runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { readJsonlStrict as readJsonl } from "./support/jsonl-files.js";
import { createPlanScript } from "./support/plan-script.js";

let tmp: string;
let server: FakeServer;
let problems: string;

const QUESTIONS = Array.from(
  { length: 12 },
  (_, i) =>
    `Problem ${i}: given an array of ${i + 2} integers, return the ${["sum", "max", "min"][i % 3]} of them.`,
);

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-gen-resume-"));
  problems = path.join(tmp, "problems.jsonl");
  await fsp.writeFile(problems, `${QUESTIONS.map((q) => JSON.stringify({ question: q })).join("\n")}\n`);
  server = await startFakeOpenAiServer({
    script: createPlanScript({ endAfterSteps: 2, seed: 1 }),
    models: ["google/gemma-2-2b-it"],
    latency: { baseMs: 1, perTokenMs: 0 },
  });
});

afterAll(async () => {
  await server.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

function args(out: string, extra: string[] = []): string[] {
  return generateArgs({ url: server.url, problems, out }, ["--iterations", "6", ...extra]);
}

function ids(file: string): string[] {
  return readJsonl(file).map((r) => r.id as string);
}

function expectNoDuplicates(list: string[]): void {
  expect(new Set(list).size).toBe(list.length);
}

describe("sra generate: resume", () => {
  it("rerun adds nothing; a larger --limit adds only the new problems; a torn line is redone", async () => {
    const out = path.join(tmp, "run-a");
    const first = await runCli(args(out, ["--limit", "5"]));
    expect(first.code, first.stderr).toBe(0);
    expect(ids(path.join(out, "samples.jsonl"))).toHaveLength(5);
    const samplesAfterFirst = readFileSync(path.join(out, "samples.jsonl"), "utf8");

    const callsBefore = server.calls.length;
    const again = await runCli(args(out, ["--limit", "5"]));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("0 to do of 5 selected; 5 already done");
    expect(readFileSync(path.join(out, "samples.jsonl"), "utf8")).toBe(samplesAfterFirst);
    expect(server.calls.length).toBe(callsBefore);

    // Speed-only settings may change on resume.
    const more = await runCli(args(out, ["--limit", "10", "--concurrency", "3", "--max-requests", "7"]));
    expect(more.code, more.stderr).toBe(0);
    const text = readFileSync(path.join(out, "samples.jsonl"), "utf8");
    expect(text.startsWith(samplesAfterFirst)).toBe(true);
    const sampleIds = ids(path.join(out, "samples.jsonl"));
    expect(sampleIds).toHaveLength(10);
    expectNoDuplicates(sampleIds);
    expect(new Set(ids(path.join(out, "plans.jsonl")))).toEqual(new Set(sampleIds));
    expect(new Set(ids(path.join(out, "trees.jsonl")))).toEqual(new Set(sampleIds));
    const config = JSON.parse(readFileSync(path.join(out, "config.json"), "utf8")) as {
      run: { concurrency: number };
    };
    expect(config.run.concurrency).toBe(3);

    // Tear the last sample line (a crash mid-write): it is cut off and that problem's code is redone.
    const lastId = sampleIds.at(-1) as string;
    await fsp.writeFile(path.join(out, "samples.jsonl"), text.slice(0, text.length - 40));
    const callsBeforeRepair = server.calls.length;
    const repaired = await runCli(args(out, ["--limit", "10"]));
    expect(repaired.code, repaired.stderr).toBe(0);
    const after = ids(path.join(out, "samples.jsonl"));
    expect(after).toHaveLength(10);
    expectNoDuplicates(after);
    expect(after.at(-1)).toBe(lastId);
    // Its plan was kept, so only plan-to-code ran again.
    const newCalls = server.calls.slice(callsBeforeRepair);
    expect(newCalls.length).toBeGreaterThan(0);
    expect(new Set(newCalls.map((c) => c.purpose))).toEqual(new Set(["implement"]));
    expect(ids(path.join(out, "plans.jsonl"))).toHaveLength(10);

    const summary = JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8")) as {
      stopCause: string;
      thisRun: { done: number };
      totals: { samples: number };
    };
    expect(summary).toMatchObject({ stopCause: "completed", thisRun: { done: 1 }, totals: { samples: 10 } });
  });

  it("a SIGKILL mid-run, then a rerun, ends with the same set as an uninterrupted run", async () => {
    const slow = await startFakeOpenAiServer({
      script: createPlanScript({ endAfterSteps: 2, seed: 2 }),
      models: ["google/gemma-2-2b-it"],
      latency: { baseMs: 15, perTokenMs: 0 },
    });
    try {
      const killed = path.join(tmp, "run-killed");
      const base = ["--base-url", slow.url, "--concurrency", "3"];
      const argv = args(killed, base).map((a) => (a === server.url ? slow.url : a));
      const child = spawn(process.execPath, [CLI, ...argv], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      // Kill once at least two samples are written, well before all 12.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const n = ids(path.join(killed, "samples.jsonl")).length;
        if (n >= 2) break;
        if (Date.now() > deadline) throw new Error(`no samples written in time: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill("SIGKILL");
      await exited;
      const partial = ids(path.join(killed, "samples.jsonl"));
      expect(partial.length).toBeGreaterThanOrEqual(2);
      expect(partial.length).toBeLessThan(QUESTIONS.length);

      const resumed = await runCli(argv);
      expect(resumed.code, resumed.stderr).toBe(0);

      const whole = path.join(tmp, "run-whole");
      const uninterrupted = await runCli(args(whole, base).map((a) => (a === server.url ? slow.url : a)));
      expect(uninterrupted.code, uninterrupted.stderr).toBe(0);

      for (const file of ["samples.jsonl", "plans.jsonl", "trees.jsonl"]) {
        const a = ids(path.join(killed, file));
        const b = ids(path.join(whole, file));
        expectNoDuplicates(a);
        expect(new Set(a)).toEqual(new Set(b));
        expect(a).toHaveLength(QUESTIONS.length);
      }
      // The records of the problems finished before the kill were kept as they were.
      const killedSamples = readJsonl(path.join(killed, "samples.jsonl"));
      expect(killedSamples.slice(0, partial.length).map((s) => s.id)).toEqual(partial);
      expect(readJsonl(path.join(killed, "failures.jsonl"))).toEqual([]);
    } finally {
      await slow.close();
    }
  });
});
