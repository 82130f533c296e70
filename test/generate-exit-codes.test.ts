/**
 * Exit codes a script can trust, through the real CLI: a run whose problems all failed exits 1
 * however few they were, --max-failures is judged on the whole selection at the end, a rerun with
 * nothing left but earlier failures says so (exit 1, naming --retry-failures), and only the statuses
 * that mean "not now" are retried (a 501 costs one request, not six).
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failedRunReason, type MaxFailures, maxFailuresOf } from "../src/run/failure-budget.js";
import { runCli } from "./support/cli.js";
import { type FakeReply, type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import {
  generateArgs,
  MODEL,
  readJsonlStrict,
  tagOf,
  writeFastRetryConfig,
  writeProblems,
} from "./support/faults.js";
import { createPlanScript } from "./support/plan-script.js";

let tmp: string;
let retryConfig: string;
const servers: FakeServer[] = [];

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-exit-codes-"));
  retryConfig = await writeFastRetryConfig(path.join(tmp, "retry.json"), { maxAttempts: 6 });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** A good model, except that every request about a problem tagged "bad-..." gets `fault`. */
async function serve(fault: FakeReply): Promise<FakeServer> {
  const good = createPlanScript({ endAfterSteps: 2, seed: 4 });
  const server = await startFakeOpenAiServer({
    models: [MODEL],
    script: (ctx) => (tagOf(ctx.prompt)?.startsWith("bad-") ? fault : good(ctx)),
  });
  servers.push(server);
  return server;
}

async function generate(name: string, tags: string[], server: FakeServer, extra: string[] = []) {
  const problems = await writeProblems(path.join(tmp, `${name}.jsonl`), tags);
  const out = path.join(tmp, name);
  const args = generateArgs({ url: server.url, problems, out, config: retryConfig, extra });
  return { out, args, r: await runCli(args) };
}

const tags = (bad: number, good: number): string[] => [
  ...Array.from({ length: bad }, (_, i) => `bad-${i}`),
  ...Array.from({ length: good }, (_, i) => `good-${i}`),
];

describe("sra generate: the exit code says whether the run succeeded", () => {
  it.each<[string, string[], string[], number, RegExp | null]>([
    ["five problems, all 501", tags(5, 0), [], 1, /all 5 selected problems failed; finished work is kept/],
    ["one problem, 501", tags(1, 0), [], 1, /the only selected problem failed/],
    ["all fail, --max-failures none", tags(3, 0), ["--max-failures", "none"], 1, /all 3 selected problems/],
    ["3 of 5 fail: 60% > 0.5", tags(3, 2), [], 1, /3 of 5 problems failed \(60% > --max-failures 0\.5\)/],
    ["1 of 5 fails: within 0.5", tags(1, 4), [], 0, null],
  ])("%s", async (name, problemTags, extra, code, message) => {
    const server = await serve({ status: 501 });
    const { out, r } = await generate(name.replace(/\W+/g, "-"), problemTags, server, extra);
    expect(r.code, r.stderr).toBe(code);
    if (message) expect(r.stderr).toMatch(message);
    if (code === 1) expect(r.stderr).toContain("--retry-failures");
    const failures = readJsonlStrict(path.join(out, "failures.jsonl"));
    const bad = problemTags.filter((t) => t.startsWith("bad-"));
    expect(failures.map((f) => f.kind)).toEqual(bad.map(() => "llm-501"));
    // 501 is not retried: one request per failed problem, whatever the retry budget (6 attempts).
    const badCalls = server.calls.filter((c) => c.status === 501);
    expect(badCalls).toHaveLength(bad.length);
    const summary = JSON.parse(await fsp.readFile(path.join(out, "summary.json"), "utf8"));
    expect(summary.stopCause).toBe("completed");
    expect(summary.failedBecause !== undefined).toBe(code === 1);
  });

  it("a rerun with nothing to do but earlier failures says so and exits 1; --retry-failures redoes them", async () => {
    const server = await serve({ status: 501 });
    const { out, args, r } = await generate("rerun", tags(5, 0), server);
    expect(r.code).toBe(1);
    const again = await runCli(args);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("0 to do of 5 selected; 0 already done, 5 failed earlier");
    expect(again.stderr).toMatch(/sra: nothing to do: all 5 selected problems failed earlier/);
    expect(again.stderr).toMatch(/hint: rerun with --retry-failures/);
    expect(server.calls).toHaveLength(5);
    // Fixed server: the retry finishes them, exit 0.
    server.setScript(createPlanScript({ endAfterSteps: 2, seed: 4 }));
    const retried = await runCli([...args, "--retry-failures"]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(readJsonlStrict(path.join(out, "samples.jsonl"))).toHaveLength(5);
    expect(readJsonlStrict(path.join(out, "failures.jsonl"))).toEqual([]);
  });

  it("a rerun that skips a few earlier failures within the budget exits 0 and names --retry-failures", async () => {
    const server = await serve({ status: 501 });
    const { args, r } = await generate("rerun-within", tags(1, 4), server);
    expect(r.code, r.stderr).toBe(0);
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/skipped 1 problems that failed earlier .*--retry-failures redoes them/);
  });
});

describe("failedRunReason", () => {
  const none = maxFailuresOf(null);
  const half = maxFailuresOf(0.5);
  // [name, done, alreadyDone, failed, failedEarlier, --max-failures, reason]
  it.each<[string, number, number, number, number, MaxFailures, string | undefined]>([
    ["no failure", 3, 0, 0, 0, half, undefined],
    ["all failed now", 0, 0, 2, 0, none, "all 2 selected problems failed"],
    ["all failed earlier", 0, 0, 0, 4, none, "all 4 selected problems failed earlier"],
    ["all failed, some earlier", 0, 0, 1, 2, half, "all 3 selected problems failed (2 of them earlier)"],
    ["over the fraction", 1, 0, 2, 0, half, "2 of 3 problems failed (67% > --max-failures 0.5)"],
    ["at the fraction", 1, 0, 1, 0, half, undefined],
    [
      "over, earlier ones",
      0,
      1,
      0,
      2,
      half,
      "2 of 3 problems failed (67% > --max-failures 0.5), all of them earlier",
    ],
    ["none: only all-failed counts", 1, 0, 9, 0, none, undefined],
  ])("%s", (_name, done, alreadyDone, failed, failedEarlier, budget, expected) => {
    expect(failedRunReason(budget, { done, alreadyDone, failed, failedEarlier })).toBe(expected);
  });
});
