/**
 * A flaky server over a whole run: 20% of the calls meet a fault (every kind the fault suite tries),
 * over 50 problems, through the real CLI. The run completes; every id ends exactly once, as a sample
 * or as a failure that says its stage, kind, error and what to do; a rerun with --retry-failures on a
 * healthy server finishes the rest without duplicating anything. And --max-failures stops a run that
 * is clearly broken, quickly, with a non-zero exit, keeping the finished work.
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failureSchema } from "../src/types.js";
import { runCli } from "./support/cli.js";
import {
  type FakeReply,
  type FakeRequestContext,
  type FakeServer,
  startFakeOpenAiServer,
} from "./support/fake-openai-server.js";
import {
  generateArgs,
  MODEL,
  readJsonlStrict,
  tagOf,
  writeFastRetryConfig,
  writeProblems,
} from "./support/faults.js";
import { createPlanScript, fnv } from "./support/plan-script.js";

let tmp: string;
const servers: FakeServer[] = [];

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-faults-rate-"));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function serve(script: Parameters<typeof startFakeOpenAiServer>[0]["script"]): Promise<FakeServer> {
  const s = await startFakeOpenAiServer({ script, models: [MODEL], latency: { baseMs: 1, perTokenMs: 0 } });
  servers.push(s);
  return s;
}

/** A fault for a request: transport faults for any purpose, format faults shaped to the purpose. */
const FAULTS: ((ctx: FakeRequestContext) => FakeReply)[] = [
  () => ({ status: 429, headers: { "retry-after-ms": "20" } }),
  () => ({ status: 429 }),
  () => ({ status: 500 }),
  () => ({ status: 503 }),
  () => ({ reset: true }),
  () => ({ hang: true }),
  () => ({ rawBody: '{"choices": [' }),
  () => ({ emptyChoices: true }),
  () => ({ content: "" }),
  (ctx) =>
    ctx.purpose === "implement"
      ? "You could loop over the values."
      : ctx.purpose === "evaluate"
        ? "A fine step."
        : { content: "Sort the values and", finishReason: "length" },
];

/**
 * 20% of requests fail, chosen by a hash of (seed, purpose, prompt, how often that prompt was seen):
 * the same problem meets the same faults whatever the scheduling, so the outcome is deterministic.
 */
function flakyScript(seed: number, rate: number) {
  const seen = new Map<string, number>();
  return createPlanScript({
    endAfterSteps: 2,
    seed,
    before: (ctx) => {
      const key = `${ctx.purpose}\u0000${ctx.prompt}`;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      const h = fnv(`${seed}:${n}:${key}`);
      if (h % 1000 >= rate * 1000) return undefined;
      return FAULTS[(h >>> 10) % FAULTS.length]!(ctx);
    },
  });
}

const KINDS = new Set([
  "llm-429",
  "llm-500",
  "llm-503",
  "network",
  "timeout",
  "bad-reply",
  "no-code",
  "no-plan",
]);

describe("a 20% fault rate over 50 problems", () => {
  it("completes; every id once, as a sample or an explained failure; --retry-failures finishes the rest", async () => {
    const tags = Array.from({ length: 50 }, (_, i) => `rate-${i}`);
    const problems = await writeProblems(path.join(tmp, "fifty.jsonl"), tags);
    // Three attempts per call: a fault meets the same call three times in a row now and then
    // (0.2^3), so a few problems fail; most are saved by a retry.
    const config = await writeFastRetryConfig(path.join(tmp, "retry3.json"), { maxAttempts: 3 });
    const server = await serve(flakyScript(7, 0.2));
    const out = path.join(tmp, "flaky");
    const args = generateArgs({
      url: server.url,
      problems,
      out,
      config,
      // A fixed request cap: random 429/503s would keep the adaptive cap near 1 and only slow the
      // test (how the cap reacts to overload is llm-stack.test.ts's business).
      extra: ["--concurrency", "8", "--timeout", "0.3", "--no-adaptive"],
    });
    const t0 = Date.now();
    const r = await runCli(args);
    const seconds = (Date.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    expect(seconds).toBeLessThan(40);

    const faulted = server.calls.filter((c) => c.status !== 200).length;
    expect(faulted / server.calls.length).toBeGreaterThan(0.08); // transport faults alone: ~16%

    const samples = readJsonlStrict(path.join(out, "samples.jsonl")).map((s) => s.id as string);
    const failures = readJsonlStrict(path.join(out, "failures.jsonl")).map((f) => failureSchema.parse(f));
    const failed = failures.map((f) => f.id);
    expect(new Set(samples).size).toBe(samples.length);
    expect(new Set(failed).size).toBe(failed.length);
    expect(samples.filter((id) => failed.includes(id))).toEqual([]);
    expect(new Set([...samples, ...failed])).toEqual(new Set(tags));
    // The seed is chosen so that both outcomes occur (the outcome does not depend on scheduling).
    expect(failed.length).toBeGreaterThan(0);
    expect(samples.length).toBeGreaterThan(25);
    for (const f of failures) {
      expect(["plans", "code"]).toContain(f.stage);
      expect(KINDS.has(f.kind), f.kind).toBe(true);
      expect(f.error.length).toBeGreaterThan(10);
      expect(f.hint, `${f.id}: ${f.kind}`).toBeTruthy();
    }
    for (const file of ["plans.jsonl", "trees.jsonl"]) {
      const list = readJsonlStrict(path.join(out, file)).map((x) => x.id as string);
      expect(new Set(list).size, file).toBe(list.length);
    }
    const summary = JSON.parse(await fsp.readFile(path.join(out, "summary.json"), "utf8"));
    expect(summary).toMatchObject({
      stopCause: "completed",
      thisRun: { done: samples.length, failed: failed.length },
    });
    expect(r.stderr).toMatch(/rerun with --retry-failures/);

    // The same command again skips them (they are explained, not lost) ...
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(
      `0 to do of 50 selected; ${samples.length} already done, ${failed.length} failed earlier`,
    );
    // ... and --retry-failures against a healthy server finishes them, nothing twice.
    const healthy = await serve(createPlanScript({ endAfterSteps: 2, seed: 7 }));
    const retry = await runCli(
      generateArgs({ url: healthy.url, problems, out, config, extra: ["--retry-failures"] }),
    );
    expect(retry.code, retry.stderr).toBe(0);
    const all = readJsonlStrict(path.join(out, "samples.jsonl")).map((s) => s.id as string);
    expect(all).toHaveLength(50);
    expect(new Set(all)).toEqual(new Set(tags));
    expect(readJsonlStrict(path.join(out, "failures.jsonl"))).toEqual([]);
    for (const file of ["plans.jsonl", "trees.jsonl"]) {
      const list = readJsonlStrict(path.join(out, file)).map((x) => x.id as string);
      expect(new Set(list).size, file).toBe(list.length);
    }
  }, 90_000);
});

describe("--max-failures stops a run that is clearly broken", () => {
  /** ok-* problems are answered, bad-* ones get 500 on every call. */
  const brokenFor = (prefix: string) => {
    const good = createPlanScript({ endAfterSteps: 2, seed: 2 });
    return (ctx: FakeRequestContext) => (tagOf(ctx.prompt)?.startsWith(prefix) ? { status: 500 } : good(ctx));
  };

  it.each([
    ["3", 3, /4 problems failed \(--max-failures 3\)/],
    ["0.3", undefined, /\d+ of \d+ problems failed \(\d+% > --max-failures 0\.3\)/],
  ])(
    "--max-failures %s on a server that always 500s: exit 1 quickly, finished work kept",
    async (flag, count, message) => {
      const okTags = Array.from({ length: 10 }, (_, i) => `ok-${i}`);
      const badTags = Array.from({ length: 30 }, (_, i) => `bad-${i}`);
      const problems = await writeProblems(path.join(tmp, `broken-${flag}.jsonl`), [...okTags, ...badTags]);
      const config = await writeFastRetryConfig(path.join(tmp, "retry3.json"));
      const server = await serve(brokenFor("bad-"));
      const out = path.join(tmp, `broken-${flag}`);
      const t0 = Date.now();
      const r = await runCli(
        generateArgs({
          url: server.url,
          problems,
          out,
          config,
          // One problem at a time: the ten good ones are finished before the first bad one starts.
          extra: ["--concurrency", "1", "--max-failures", flag],
        }),
      );
      expect(r.code).toBe(1);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^sra: .*finished work is kept$/m);
      expect(r.stderr).toMatch(/^hint: .*--retry-failures/m);
      const samples = readJsonlStrict(path.join(out, "samples.jsonl")).map((s) => s.id as string);
      expect(samples.sort()).toEqual([...okTags].sort());
      const failures = readJsonlStrict(path.join(out, "failures.jsonl")).map((f) => failureSchema.parse(f));
      if (count !== undefined) expect(failures).toHaveLength(count + 1);
      expect(failures.length).toBeLessThan(badTags.length);
      for (const f of failures) expect(f).toMatchObject({ stage: "plans", kind: "llm-500", attempts: 3 });
      const summary = JSON.parse(await fsp.readFile(path.join(out, "summary.json"), "utf8"));
      expect(summary.stopCause).toBe("max-failures");
    },
  );
});
