/**
 * Every fault an LLM server can throw at a long run, through the real CLI and the fake server. One
 * run holds one problem per fault; the fake "model" keys each fault on the problem's tag in the
 * prompt, so each problem meets exactly its own fault and the rest of its search is a good model's.
 *
 *   transient (first call of the problem)    -> retried, then a sample
 *   format (the reply ignores what was asked) -> re-asked / counted / fallback, then a sample
 *   persistent (every call)                   -> a failure record with stage, kind, error, attempts
 */
import * as fsp from "node:fs/promises";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Failure, failureSchema, type Sample, sampleSchema } from "../src/types.js";
import { type CliResult, runCli } from "./support/cli.js";
import {
  type FakeReply,
  type FakeRequestContext,
  type FakeServer,
  type RecordedCall,
  startFakeOpenAiServer,
} from "./support/fake-openai-server.js";
import {
  generateArgs,
  MODEL,
  readJsonlStrict,
  sleep,
  tagOf,
  writeFastRetryConfig,
  writeProblems,
} from "./support/faults.js";
import { generateInProcess, testClock } from "./support/generate-in-process.js";
import { createPlanScript } from "./support/plan-script.js";

/** n.all: calls of this problem so far; n.purpose: calls of this problem with this purpose so far. */
type Fault = (ctx: FakeRequestContext, n: { all: number; purpose: number }) => FakeReply | undefined;

const first =
  (reply: FakeReply): Fault =>
  (_ctx, n) =>
    n.all === 0 ? reply : undefined;
const firstOf =
  (purpose: string, reply: FakeReply): Fault =>
  (ctx, n) =>
    ctx.purpose === purpose && n.purpose === 0 ? reply : undefined;
const always =
  (reply: FakeReply): Fault =>
  () =>
    reply;
const everyOf =
  (purpose: string, reply: FakeReply): Fault =>
  (ctx) =>
    ctx.purpose === purpose ? reply : undefined;

const MALFORMED = '{"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"message": ';
const CUT_CODE = "```python\nclass Solution:\n    def solve(self, nums):\n        best = 0\n";
const TIMEOUT_SEC = 0.5;
const MAX_ATTEMPTS = 3;

interface Case {
  tag: string;
  fault: string;
  inject: Fault;
}

/** Transient faults: the first call of the problem fails; the retry policy must save it. */
const TRANSIENT: (Case & { status: number; minGapMs?: number })[] = [
  {
    tag: "t-429-retry-after",
    fault: "429 with Retry-After: 1",
    inject: first({ status: 429, headers: { "retry-after": "1" } }),
    status: 429,
    minGapMs: 950,
  },
  { tag: "t-429", fault: "429 without Retry-After", inject: first({ status: 429 }), status: 429 },
  { tag: "t-500", fault: "500", inject: first({ status: 500 }), status: 500 },
  { tag: "t-503", fault: "503", inject: first({ status: 503 }), status: 503 },
  {
    tag: "t-502-html",
    fault: "502 with a proxy's HTML page",
    inject: first({
      status: 502,
      rawBody: "<html><body><h1>502 Bad Gateway</h1></body></html>",
      headers: { "content-type": "text/html" },
    }),
    status: 502,
  },
  { tag: "t-reset", fault: "connection reset", inject: first({ reset: true }), status: 0 },
  {
    tag: "t-hang",
    fault: `no reply within the request timeout (${TIMEOUT_SEC} s)`,
    inject: first({ hang: true }),
    status: 0,
    minGapMs: TIMEOUT_SEC * 1000 - 50,
  },
  { tag: "t-malformed", fault: "malformed JSON body", inject: first({ rawBody: MALFORMED }), status: 200 },
  { tag: "t-no-choices", fault: '"choices": []', inject: first({ emptyChoices: true }), status: 200 },
];

/** Replies that arrive but ignore the requested format (or are cut off): handled inside the roles. */
const FORMAT: (Case & { check: (s: Sample) => void })[] = [
  {
    tag: "f-empty-score",
    fault: "empty content for a score",
    inject: firstOf("evaluate", { content: "" }),
    check: (s) => expect(s.meta.counters["score.retry"]).toBeGreaterThanOrEqual(1),
  },
  {
    tag: "f-no-score",
    fault: "scores without a number, always",
    inject: everyOf("evaluate", "The step is sensible and moves toward a solution."),
    check: (s) => {
      // Asked 1 + scoreRetries (2) times per node, then the neutral fallback score, counted.
      const fallbacks = s.meta.counters["score.fallback"] ?? 0;
      expect(fallbacks).toBeGreaterThanOrEqual(3);
      expect(s.meta.counters["score.retry"]).toBe(2 * fallbacks);
      expect(s.meta.scores.every((v) => v === 5)).toBe(true);
    },
  },
  {
    tag: "f-cut-step",
    fault: 'finish_reason "length" on a step',
    inject: firstOf("propose", { content: "Sort the values so that equal", finishReason: "length" }),
    check: (s) => expect(s.meta.counters["length.truncated"]).toBeGreaterThanOrEqual(1),
  },
  {
    tag: "f-cut-score",
    fault: 'finish_reason "length" on a score',
    inject: firstOf("evaluate", { content: "The step is correct because it", finishReason: "length" }),
    check: (s) => {
      expect(s.meta.counters["length.truncated"]).toBeGreaterThanOrEqual(1);
      expect(s.meta.counters["score.retry"]).toBeGreaterThanOrEqual(1);
    },
  },
  {
    tag: "f-cut-code",
    fault: 'finish_reason "length" on code',
    inject: firstOf("implement", { content: CUT_CODE, finishReason: "length" }),
    check: (s) => {
      expect(s.meta.counters.codeAttempts).toBe(2);
      expect(s.code).toContain("return best");
    },
  },
  {
    tag: "f-prose-code",
    fault: "code reply without code",
    inject: firstOf("implement", "Loop over the list and keep the longest run seen so far."),
    check: (s) => {
      expect(s.meta.counters.codeAttempts).toBe(2);
      expect(s.code).toContain("class Solution");
    },
  },
  {
    tag: "f-null-reflect",
    fault: '"content": null for a reflection',
    inject: firstOf("reflect", { content: null }),
    check: (s) => expect(s.meta.counters["reflect.empty"]).toBeGreaterThanOrEqual(1),
  },
];

/** Faults on every call: the problem must end as a failure record that says what happened. */
const PERSISTENT: (Case & {
  stage: Failure["stage"];
  kind: string;
  error: RegExp;
  attempts?: number;
  calls?: number;
})[] = [
  {
    tag: "p-500",
    fault: "500, always",
    inject: always({ status: 500 }),
    stage: "plans",
    kind: "llm-500",
    error: /HTTP 500: .*gave up after 3 attempts/,
    attempts: MAX_ATTEMPTS,
  },
  {
    tag: "p-hang",
    fault: "no reply, always",
    inject: always({ hang: true }),
    stage: "plans",
    kind: "timeout",
    error: /no complete reply within 500 ms/,
    attempts: MAX_ATTEMPTS,
  },
  {
    tag: "p-reset",
    fault: "connection reset, always",
    inject: always({ reset: true }),
    stage: "plans",
    kind: "network",
    error: /connection failed|other side closed|socket/,
    attempts: MAX_ATTEMPTS,
  },
  {
    tag: "p-malformed",
    fault: "malformed JSON, always",
    inject: always({ rawBody: MALFORMED }),
    stage: "plans",
    kind: "bad-reply",
    error: /not valid JSON/,
    attempts: MAX_ATTEMPTS,
  },
  {
    tag: "p-400",
    fault: "400 (not retryable)",
    inject: always({ status: 400 }),
    stage: "plans",
    kind: "llm-request",
    error: /HTTP 400/,
    calls: 1,
  },
  {
    tag: "p-401",
    fault: "401 mid-run (not retryable)",
    inject: always({ status: 401 }),
    stage: "plans",
    kind: "llm-401",
    error: /HTTP 401/,
    calls: 1,
  },
  {
    tag: "p-501",
    fault: "501 (not retryable: the server will never do it)",
    inject: always({ status: 501 }),
    stage: "plans",
    kind: "llm-501",
    error: /HTTP 501/,
    calls: 1,
  },
  {
    tag: "p-no-code",
    fault: "code reply without code, always",
    inject: everyOf("implement", "I would loop over the list."),
    stage: "code",
    kind: "no-code",
    error: /no usable Python code after 3 attempts/,
    attempts: 3,
  },
  {
    tag: "p-cut-code",
    fault: "code cut off by max tokens, always",
    inject: everyOf("implement", { content: CUT_CODE, finishReason: "length" }),
    stage: "code",
    kind: "no-code",
    error: /cut off at \d+ tokens/,
    attempts: 3,
  },
  {
    tag: "p-no-steps",
    fault: "empty steps, always",
    inject: everyOf("propose", { content: "" }),
    stage: "plans",
    kind: "no-plan",
    error: /produced no plan step/,
  },
];

const ALL: Case[] = [...TRANSIENT, ...FORMAT, ...PERSISTENT];

let tmp: string;
let server: FakeServer;
let run: CliResult;
let out: string;
let samples: Map<string, Sample>;
let failures: Map<string, Failure>;
let elapsedMs: number;
const servers: FakeServer[] = [];

function faultScript(cases: readonly Case[], seed: number) {
  const byTag = new Map(cases.map((c) => [c.tag, c.inject]));
  const seen = new Map<string, number>();
  return createPlanScript({
    endAfterSteps: 2,
    seed,
    before: (ctx) => {
      const tag = tagOf(ctx.prompt);
      const inject = tag === undefined ? undefined : byTag.get(tag);
      if (!tag || !inject) return undefined;
      const all = seen.get(tag) ?? 0;
      const purpose = seen.get(`${tag}\u0000${ctx.purpose}`) ?? 0;
      seen.set(tag, all + 1);
      seen.set(`${tag}\u0000${ctx.purpose}`, purpose + 1);
      return inject(ctx, { all, purpose });
    },
  });
}

const callsOf = (tag: string): RecordedCall[] =>
  server.calls.filter((c) => tagOf(c.body.messages.map((m) => m.content).join("\n")) === tag);

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-faults-llm-"));
  const problems = await writeProblems(
    path.join(tmp, "problems.jsonl"),
    ALL.map((c) => c.tag),
  );
  const config = await writeFastRetryConfig(path.join(tmp, "retry.json"), { maxAttempts: MAX_ATTEMPTS });
  server = await startFakeOpenAiServer({
    script: faultScript(ALL, 11),
    models: [MODEL],
    latency: { baseMs: 2, perTokenMs: 0 },
  });
  servers.push(server);
  out = path.join(tmp, "run");
  const t0 = Date.now();
  run = await runCli(
    generateArgs({
      url: server.url,
      problems,
      out,
      config,
      extra: ["--concurrency", "8", "--timeout", String(TIMEOUT_SEC), "--max-failures", "none"],
    }),
  );
  elapsedMs = Date.now() - t0;
  samples = new Map(
    readJsonlStrict(path.join(out, "samples.jsonl")).map((s) => {
      const sample = sampleSchema.parse(s);
      return [sample.id, sample];
    }),
  );
  failures = new Map(
    readJsonlStrict(path.join(out, "failures.jsonl")).map((f) => {
      const failure = failureSchema.parse(f);
      return [failure.id, failure];
    }),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe("faults: one run, one problem per fault", () => {
  it("completes (exit 0) with every problem exactly once, as a sample or a failure", () => {
    expect(run.code, run.stderr).toBe(0);
    const sampleIds = [...samples.keys()];
    const failureIds = [...failures.keys()];
    expect(readJsonlStrict(path.join(out, "samples.jsonl"))).toHaveLength(sampleIds.length);
    expect(readJsonlStrict(path.join(out, "failures.jsonl"))).toHaveLength(failureIds.length);
    expect(sampleIds.filter((id) => failures.has(id))).toEqual([]);
    expect(new Set([...sampleIds, ...failureIds])).toEqual(new Set(ALL.map((c) => c.tag)));
    expect(elapsedMs).toBeLessThan(30_000);
  });

  it.each(TRANSIENT)("$fault: retried, then a sample", ({ tag, status, minGapMs }) => {
    expect(samples.has(tag), `${tag}: ${failures.get(tag)?.error}`).toBe(true);
    const calls = callsOf(tag);
    // The first call met the fault; the second is the same request again, answered.
    expect(calls[0]!.status).toBe(status);
    expect(calls[1]!.purpose).toBe(calls[0]!.purpose);
    expect(calls[1]!.body.messages).toEqual(calls[0]!.body.messages);
    expect(calls[1]!.status).toBe(200);
    if (minGapMs !== undefined) {
      // Retry-After honoured / the request timeout fired before the retry.
      expect(calls[1]!.receivedAt - calls[0]!.receivedAt).toBeGreaterThanOrEqual(minGapMs);
    }
  });

  it.each(FORMAT)("$fault: handled by the role, then a sample", ({ tag, check }) => {
    const sample = samples.get(tag);
    expect(sample, `${tag}: ${failures.get(tag)?.error}`).toBeDefined();
    check(sample as Sample);
  });

  it.each(PERSISTENT)(
    "$fault: a failure record (stage $stage, kind $kind)",
    ({ tag, stage, kind, error, attempts, calls }) => {
      const failure = failures.get(tag);
      expect(failure, `${tag} should have failed`).toBeDefined();
      expect(failure).toMatchObject({ id: tag, stage, kind });
      expect(failure!.error).toMatch(error);
      if (attempts !== undefined) expect(failure!.attempts).toBe(attempts);
      if (calls !== undefined) expect(callsOf(tag)).toHaveLength(calls);
      // A code-stage failure keeps its plan (a rerun with --retry-failures only redoes the code).
      const plans = readJsonlStrict(path.join(out, "plans.jsonl")).map((p) => p.id);
      expect(plans.includes(tag)).toBe(stage === "code");
    },
  );

  it("logs every retry with status and attempt, and reports the totals", async () => {
    const log = await fsp.readFile(path.join(out, "generate.log"), "utf8");
    const retries = log
      .split("\n")
      .filter((l) => l.includes('"llm: retrying"'))
      .map((l) => JSON.parse(l) as { status?: number; attempt: number; maxAttempts: number });
    expect(retries.some((r) => r.status === 429)).toBe(true);
    expect(retries.every((r) => r.maxAttempts === MAX_ATTEMPTS && r.attempt < MAX_ATTEMPTS)).toBe(true);
    const summary = JSON.parse(await fsp.readFile(path.join(out, "summary.json"), "utf8"));
    expect(summary.stopCause).toBe("completed");
    expect(summary.thisRun.failed).toBe(PERSISTENT.length);
    expect(summary.llm.retries).toBeGreaterThanOrEqual(TRANSIENT.length + 4 * (MAX_ATTEMPTS - 1));
    expect(run.stderr).toMatch(/failures: .*see failures\.jsonl/);
  });
});

/** A port where something accepts connections and never answers (a hung server or a black hole). */
async function blackHole(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

describe("faults: the server check before the first problem", () => {
  // (unreachable, 401 and a model that is not served are in generate-run.test.ts)
  it("a server that accepts but never answers: exit 1 within the request timeout, no run dir left", async () => {
    const hole = await blackHole();
    try {
      const problems = await writeProblems(path.join(tmp, "one.jsonl"), ["x"]);
      const runDir = path.join(tmp, "check-black-hole");
      const t0 = Date.now();
      const r = await runCli(
        generateArgs({ url: hole.url, problems, out: runDir, extra: ["--timeout", "1"] }),
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^sra: cannot reach http:\/\/127\.0\.0\.1:\d+\/v1: no answer within 1000 ms/m);
      expect(Date.now() - t0).toBeLessThan(8_000);
      await expect(fsp.access(runDir)).rejects.toThrow();
    } finally {
      await hole.close();
    }
  });

  it("several base URLs: the one that lacks the model is named, with what it serves", async () => {
    const good = await startFakeOpenAiServer({ script: faultScript([], 1), models: [MODEL] });
    const other = await startFakeOpenAiServer({ script: faultScript([], 1), models: ["org/other-7b"] });
    servers.push(good, other);
    const problems = await writeProblems(path.join(tmp, "one.jsonl"), ["x"]);
    const runDir = path.join(tmp, "check-two-urls");
    const r = await runCli([
      ...generateArgs({ url: good.url, problems, out: runDir }),
      "--base-url",
      other.url,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`model ${MODEL} is not served by ${other.url}; it serves: org/other-7b`);
    expect(r.stderr).toMatch(/^hint: .*--served-model/m);
    expect(good.calls).toHaveLength(0);
    await expect(fsp.access(runDir)).rejects.toThrow();
  });
});

describe("faults: a server that restarts mid-run", () => {
  it("rides out a restart within the retry budget: every problem a sample, no failure", async () => {
    const tags = Array.from({ length: 10 }, (_, i) => `restart-${i}`);
    const problems = await writeProblems(path.join(tmp, "restart.jsonl"), tags);
    // Up to 8 attempts, 50 ms doubling to 400 ms: about 1.9 s of retrying per call, against a 400 ms gap.
    const config = await writeFastRetryConfig(path.join(tmp, "restart-retry.json"), {
      maxAttempts: 8,
      initialDelayMs: 50,
      maxDelayMs: 400,
    });
    const before = await startFakeOpenAiServer({
      script: faultScript([], 3),
      models: [MODEL],
      latency: { baseMs: 5, perTokenMs: 0 },
    });
    const port = Number(new URL(before.url).port);
    const runDir = path.join(tmp, "restart-run");
    // In this process, on a test clock: the 400 ms down pass in test time (retry back-offs and outage
    // waits are sleeps on that clock), not in real seconds.
    const clock = testClock();
    const running = generateInProcess(
      generateArgs({ url: before.url, problems, out: runDir, config, extra: ["--concurrency", "3"] }),
      clock,
    );
    // Down after some work, for 400 ms, then up again on the same port (a fresh process: a new script).
    const deadline = Date.now() + 20_000;
    while (before.calls.length < 40 && Date.now() < deadline) await sleep(10);
    await before.close();
    const restarted: { server?: FakeServer } = {};
    clock.after(400, async () => {
      restarted.server = await startFakeOpenAiServer({
        script: faultScript([], 3),
        models: [MODEL],
        latency: { baseMs: 5, perTokenMs: 0 },
        port,
      });
      servers.push(restarted.server);
    });
    const r = await running;
    const after = restarted.server as FakeServer;
    expect(r.code, r.stderr).toBe(0);
    expect(after.calls.length).toBeGreaterThan(0);
    const done = readJsonlStrict(path.join(runDir, "samples.jsonl")).map((s) => s.id as string);
    expect(new Set(done)).toEqual(new Set(tags));
    expect(done).toHaveLength(tags.length);
    expect(readJsonlStrict(path.join(runDir, "failures.jsonl"))).toEqual([]);
    const summary = JSON.parse(await fsp.readFile(path.join(runDir, "summary.json"), "utf8"));
    expect(summary.llm.retries).toBeGreaterThan(0);
  });

  /**
   * The server goes away for 1.5 s, far longer than the retry budget (2 attempts, 50 ms apart), then
   * comes back on the same port. The run is in this process, on a test clock, so the outage (and the
   * back-offs of its rechecks) pass in test time. Returns what the run left.
   */
  async function runThroughOutage(name: string, extra: string[]) {
    const tags = Array.from({ length: 6 }, (_, i) => `${name}-${i}`);
    const problems = await writeProblems(path.join(tmp, `${name}.jsonl`), tags);
    const config = await writeFastRetryConfig(path.join(tmp, `${name}-retry.json`), {
      maxAttempts: 2,
      initialDelayMs: 50,
      maxDelayMs: 50,
    });
    const options = { script: faultScript([], 5), models: [MODEL], latency: { baseMs: 5, perTokenMs: 0 } };
    const before = await startFakeOpenAiServer(options);
    const port = Number(new URL(before.url).port);
    const runDir = path.join(tmp, `${name}-run`);
    const clock = testClock();
    const running = generateInProcess(
      generateArgs({
        url: before.url,
        problems,
        out: runDir,
        config,
        extra: ["--concurrency", "3", "--max-failures", "none", "--log-level", "info", ...extra],
      }),
      clock,
    );
    const deadline = Date.now() + 20_000;
    while (before.calls.length < 20 && Date.now() < deadline) await sleep(10);
    await before.close();
    const restarted: { server?: FakeServer } = {};
    clock.after(1500, async () => {
      restarted.server = await startFakeOpenAiServer({ ...options, port });
      servers.push(restarted.server);
    });
    const r = await running;
    // Absent when the run never waited long enough for it (--max-outage 0 fails the problems first).
    const after = restarted.server as FakeServer;
    const samples = readJsonlStrict(path.join(runDir, "samples.jsonl")).map((x) => x.id as string);
    const failures = readJsonlStrict(path.join(runDir, "failures.jsonl"));
    const summary = JSON.parse(await fsp.readFile(path.join(runDir, "summary.json"), "utf8"));
    const log = await fsp.readFile(path.join(runDir, "generate.log"), "utf8");
    return { r, tags, samples, failures, summary, log, after };
  }

  it("an outage longer than the retries: requests wait for the server (--max-outage), no problem fails", async () => {
    const { r, tags, samples, failures, summary, log, after } = await runThroughOutage("outage", []);
    expect(r.code, r.stderr).toBe(0);
    expect(after.calls.length).toBeGreaterThan(0);
    expect(new Set(samples)).toEqual(new Set(tags));
    expect(samples).toHaveLength(tags.length);
    expect(failures).toEqual([]);
    expect(summary.llm.outages).toBe(1);
    expect(summary.llm.outageMs).toBeGreaterThan(1000);
    expect(log).toContain("every endpoint is down; requests wait for one to come back");
    expect(log).toContain("the server is back");
    expect(r.stderr).toMatch(/server outages: 1 \(every endpoint down; \d+ s in all, waited out\)/);
  }, 60_000);

  it("a problem whose own requests always reset is not an outage: one at a time, it fails and the run goes on", async () => {
    // --concurrency 1: its resets are the only traffic, so the endpoint is backed off as if it were
    // down. The recheck is a GET /models, which answers, so the problem fails within its retries
    // instead of waiting --max-outage (when the recheck was the problem's own request, it was not).
    const tags = ["seq-ok-0", "seq-reset", "seq-ok-1"];
    const problems = await writeProblems(path.join(tmp, "seq-reset.jsonl"), tags);
    const config = await writeFastRetryConfig(path.join(tmp, "seq-reset-retry.json"), {
      maxAttempts: 3,
      initialDelayMs: 10,
      maxDelayMs: 20,
    });
    const reset: Case = {
      tag: "seq-reset",
      fault: "reset, always",
      inject: always({ reset: true }),
    };
    const s = await startFakeOpenAiServer({ script: faultScript([reset], 7), models: [MODEL] });
    servers.push(s);
    const runDir = path.join(tmp, "seq-reset-run");
    const r = await runCli(
      generateArgs({
        url: s.url,
        problems,
        out: runDir,
        config,
        extra: ["--concurrency", "1", "--max-failures", "none"],
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    const failed = readJsonlStrict(path.join(runDir, "failures.jsonl"));
    expect(failed.map((f) => [f.id, f.kind])).toEqual([["seq-reset", "network"]]);
    expect(readJsonlStrict(path.join(runDir, "samples.jsonl")).map((x) => x.id)).toEqual([
      "seq-ok-0",
      "seq-ok-1",
    ]);
    // Waiting out --max-outage (600 s) instead would overrun this test's 60 s.
  }, 60_000);

  it("with --max-outage 0 the same outage fails the problems in flight (network), as before", async () => {
    const { r, samples, failures } = await runThroughOutage("no-wait", ["--max-outage", "0"]);
    // A run whose every problem failed exits 1 (test/generate-exit-codes.test.ts).
    expect(r.code, r.stderr).toBe(samples.length === 0 ? 1 : 0);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((f) => f.kind === "network")).toBe(true);
    expect(samples.length + failures.length).toBe(6);
  }, 60_000);
});
