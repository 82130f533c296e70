/**
 * The composed stack, withRetry(limit(pool(endpoints))), over real HTTP on loopback through the real
 * openai client: retries per fault, Retry-After, real concurrency, the adaptive cap, several endpoints.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { LlmError } from "../src/errors.js";
import { createLlmStack, type LlmStack, type LlmStackOptions } from "../src/llm/create-llm-stack.js";
import type { RetryPolicy } from "../src/llm/retry.js";
import type { CompletionRequest } from "../src/llm/types.js";
import {
  type FakeReply,
  type FakeServer,
  type FakeServerOptions,
  startFakeOpenAiServer,
} from "./support/fake-openai-server.js";

const KEY = "sk-stack-test-key-abcdef123456";
const servers: FakeServer[] = [];
const stacks: LlmStack[] = [];

afterEach(async () => {
  for (const s of stacks.splice(0)) await s.close();
  for (const s of servers.splice(0)) await s.close();
});

async function server(options: Partial<FakeServerOptions> & Pick<FakeServerOptions, "script">) {
  const s = await startFakeOpenAiServer(options);
  servers.push(s);
  return s;
}

/** Replies in order, then "ok" forever. */
function sequence(...replies: FakeReply[]): FakeServerOptions["script"] {
  return (ctx) => replies[ctx.index] ?? "ok";
}

const quick: RetryPolicy = { maxAttempts: 4, initialDelayMs: 20, maxDelayMs: 100, factor: 2, jitter: 0 };

async function stack(endpoints: string[], over: Partial<LlmStackOptions> = {}): Promise<LlmStack> {
  const s = await createLlmStack({
    endpoints,
    apiKey: KEY,
    model: "fake-model",
    systemRole: true,
    timeoutMs: 5000,
    retry: quick,
    maxRequests: 16,
    adaptive: true,
    guided: "vllm",
    ...over,
  });
  stacks.push(s);
  return s;
}

const req: CompletionRequest = { purpose: "propose", messages: [{ role: "user", content: "next step?" }] };

function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: "warn" }, stream), lines };
}

describe("retries through the stack", () => {
  it("429 with Retry-After 0.2 s: waits that long (not the 5 s back-off), then succeeds", async () => {
    const s = await server({ script: sequence({ status: 429, headers: { "retry-after": "0.2" } }) });
    const st = await stack([s.url], { retry: { ...quick, initialDelayMs: 5000, maxDelayMs: 5000 } });
    const started = Date.now();
    expect((await st.llm.complete(req)).text).toBe("ok");
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(1500);
    expect(s.calls).toHaveLength(2);
    expect(s.calls[1]!.receivedAt - s.calls[0]!.finishedAt).toBeGreaterThanOrEqual(190);
    expect(st.stats()).toMatchObject({ calls: 1, attempts: 2, retries: 1, failures: 0 });
  });

  it("429 without Retry-After: exponential back-off", async () => {
    const s = await server({ script: sequence({ status: 429 }, { status: 429 }) });
    const st = await stack([s.url], { retry: { ...quick, initialDelayMs: 100, maxDelayMs: 1000 } });
    const started = Date.now();
    await st.llm.complete(req);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100 + 200 - 10);
    expect(s.calls).toHaveLength(3);
  });

  it.each<[string, FakeReply]>([
    ["500", { status: 500 }],
    ["503", { status: 503 }],
    ["connection reset", { reset: true }],
    ["malformed JSON body", { rawBody: '{"id": "x", "choices": [' }],
    ["empty choices", { emptyChoices: true }],
    ["hang past the timeout", { hang: true }],
  ])("%s, then success", async (_name, fault) => {
    const s = await server({ script: sequence(fault) });
    const st = await stack([s.url], { timeoutMs: 300 });
    expect((await st.llm.complete(req)).text).toBe("ok");
    expect(s.calls).toHaveLength(2);
    expect(st.stats()).toMatchObject({ retries: 1, failures: 0 });
  });

  it.each([400, 401, 404])("no retry on HTTP %i", async (status) => {
    const s = await server({ script: sequence({ status }) });
    const st = await stack([s.url]);
    await expect(st.llm.complete(req)).rejects.toMatchObject({ status, isRetryable: false });
    expect(s.calls).toHaveLength(1);
    expect(st.stats()).toMatchObject({ calls: 1, retries: 0, failures: 1 });
  });

  it("gives up after maxAttempts and says how many", async () => {
    const s = await server({ script: () => ({ status: 500 }) });
    const st = await stack([s.url], { retry: { ...quick, maxAttempts: 3 } });
    const e = await st.llm.complete(req).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LlmError);
    expect((e as Error).message).toMatch(/HTTP 500.*gave up after 3 attempts/);
    expect(s.calls).toHaveLength(3);
    expect(st.stats()).toMatchObject({ attempts: 3, retries: 2, failures: 1 });
  });

  it("logs each retry at warn with status, endpoint, attempt and delay, never the key", async () => {
    const echo = JSON.stringify({ error: { message: `overloaded (key ${KEY})` } });
    const s = await server({ script: sequence({ status: 503, rawBody: echo }, { status: 429 }) });
    const { logger, lines } = captureLogs();
    const st = await stack([s.url], { logger });
    await st.llm.complete(req);
    const retries = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "llm: retrying");
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatchObject({
      level: 40,
      status: 503,
      endpoint: s.url,
      attempt: 1,
      delayMs: 20,
      purpose: "propose",
    });
    expect(retries[1]).toMatchObject({ status: 429, attempt: 2, delayMs: 40 });
    expect(lines.join("\n")).not.toContain(KEY);
  });

  it("an abort during the back-off ends the call at once and is not counted as a failure", async () => {
    const s = await server({ script: () => ({ status: 500 }) });
    const st = await stack([s.url], { retry: { ...quick, initialDelayMs: 10_000, maxDelayMs: 10_000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop")), 100);
    const started = Date.now();
    await expect(st.llm.complete(req, controller.signal)).rejects.toThrow("stop");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(st.stats().failures).toBe(0);
    expect(st.stats().inFlight).toBe(0); // no slot held while sleeping
  });
});

describe("concurrency", () => {
  it("64 requests to one host are really concurrent (all 64 reach the server before any is answered)", async () => {
    // A barrier instead of a stopwatch: the server holds every reply until 64 requests are in flight, so
    // the test passes only if the client really puts 64 on the wire at once (a connection cap would
    // deadlock it until the 10 s safety valve, and the assertion below would fail).
    let arrived = 0;
    let release: () => void = () => undefined;
    const all = new Promise<void>((resolve) => {
      release = resolve;
    });
    const valve = setTimeout(release, 10_000);
    const s = await server({
      script: async () => {
        arrived++;
        if (arrived > 1 && arrived - 1 >= 64) release();
        if (arrived > 1) await all;
        return "ok";
      },
      slots: 64,
    });
    const st = await stack([s.url], { maxRequests: 64 });
    await st.llm.complete(req); // dispatcher set-up
    await Promise.all(Array.from({ length: 64 }, () => st.llm.complete(req)));
    clearTimeout(valve);
    expect(s.maxInFlight()).toBe(64);
    expect(Math.max(...s.calls.map((c) => c.inFlightAtStart))).toBe(63);
    expect(st.stats().maxInFlight).toBe(64);
  });

  it("never has more than --max-requests in flight", async () => {
    const s = await server({ script: () => "ok", latency: { baseMs: 30, perTokenMs: 0 } });
    const st = await stack([s.url], { maxRequests: 8 });
    await Promise.all(Array.from({ length: 40 }, () => st.llm.complete(req)));
    expect(s.maxInFlight()).toBe(8);
    expect(st.stats()).toMatchObject({ calls: 40, maxInFlight: 8, cap: 8 });
  });
});

describe("adaptive cap", () => {
  it("drops when the server starts returning 429 and recovers after", async () => {
    // Overload is counted in requests, not milliseconds, so a busy machine sees the same episode.
    let overloaded = false;
    let rejectionsLeft = 0;
    const s = await server({
      script: () => {
        if (overloaded && rejectionsLeft > 0) {
          rejectionsLeft--;
          return { status: 429 };
        }
        return "ok";
      },
      latency: { baseMs: 5, perTokenMs: 0 },
    });
    const st = await stack([s.url], {
      maxRequests: 16,
      retry: { maxAttempts: 50, initialDelayMs: 5, maxDelayMs: 20, factor: 2, jitter: 0.5 },
      // Only the 429 rule here: a scheduling hiccup on a busy CI machine must not move the cap.
      limiter: { increaseEvery: 2, latencyFactor: 0 },
    });
    const caps: number[] = [];
    let done = 0;
    const worker = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await st.llm.complete(req);
        done++;
        caps.push(st.stats().cap);
      }
    };
    await Promise.all(Array.from({ length: 16 }, () => worker(3))); // healthy: stays at 16
    expect(st.stats().cap).toBe(16);
    overloaded = true;
    rejectionsLeft = 60;
    const before = done;
    await Promise.all(Array.from({ length: 16 }, () => worker(8)));
    expect(done - before).toBe(128); // every call got through in the end
    const stats = st.stats();
    expect(stats.capDecreases).toBeGreaterThanOrEqual(2);
    expect(Math.min(...caps.slice(before))).toBeLessThanOrEqual(4);
    expect(stats.cap).toBe(16); // recovered
    expect(stats.capIncreases).toBeGreaterThanOrEqual(12);
  });

  it("fewer 429s from a server with 4 slots and no queue than with a fixed cap of 16", async () => {
    const run = async (adaptive: boolean) => {
      const s = await server({
        script: () => "ok",
        slots: 4,
        maxQueue: 0,
        latency: { baseMs: 20, perTokenMs: 0 },
      });
      const st = await stack([s.url], {
        maxRequests: 16,
        adaptive,
        retry: { maxAttempts: 100, initialDelayMs: 5, maxDelayMs: 20, factor: 2, jitter: 0.5 },
      });
      await Promise.all(Array.from({ length: 96 }, () => st.llm.complete(req)));
      return { rejected: s.calls.filter((c) => c.status === 429).length, cap: st.stats().cap };
    };
    const fixed = await run(false);
    const adaptive = await run(true);
    console.log(
      `429s with a fixed cap of 16: ${fixed.rejected}; adaptive: ${adaptive.rejected} (cap ${adaptive.cap})`,
    );
    expect(fixed.cap).toBe(16);
    expect(adaptive.cap).toBeLessThan(16);
    expect(adaptive.rejected).toBeLessThan(fixed.rejected);
  });
});

describe("several endpoints", () => {
  it("backs off a failing server and sends everything to the healthy one", async () => {
    const bad = await server({ script: () => ({ status: 500 }) });
    const good = await server({ script: () => "ok" });
    const { logger, lines } = captureLogs();
    const st = await stack([bad.url, good.url], { logger, pool: { failureThreshold: 2, backoffMs: 60_000 } });
    for (let i = 0; i < 20; i++) expect((await st.llm.complete(req)).text).toBe("ok");
    const backedOff = lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg.startsWith("llm: endpoint keeps failing"));
    expect(backedOff).toEqual([
      expect.objectContaining({ endpoint: bad.url, consecutiveFailures: 2, backoffMs: 60_000 }),
    ]);
    expect(bad.calls).toHaveLength(2);
    expect(good.calls).toHaveLength(20);
    const [b, g] = st.stats().endpoints;
    expect(b).toMatchObject({ url: bad.url, failures: 2, requests: 2 });
    expect(b!.backedOffUntil).not.toBeNull();
    expect(g).toMatchObject({ url: good.url, failures: 0, backedOffUntil: null });
    expect(st.stats()).toMatchObject({ calls: 20, retries: 2, failures: 0 });
  });

  it("rechecks a backed-off server with one probe when its back-off ends, and takes it back when it recovers", async () => {
    let t = 0;
    let badIsDown = true;
    const flaky = await server({ script: () => (badIsDown ? { reset: true } : "ok") });
    const good = await server({ script: () => "ok" });
    const st = await stack([flaky.url, good.url], {
      now: () => t,
      pool: { failureThreshold: 1, backoffMs: 1000 },
    });
    for (let i = 0; i < 6; i++) await st.llm.complete(req);
    expect(flaky.calls).toHaveLength(1);
    t += 1000;
    await st.llm.complete(req); // probe fails, retried on the good one
    expect(flaky.calls).toHaveLength(2);
    expect(st.stats().endpoints[0]!.backedOffUntil).toBe(t + 2000);
    badIsDown = false;
    t += 2000;
    await st.llm.complete(req); // probe succeeds
    expect(flaky.calls).toHaveLength(3);
    expect(st.stats().endpoints[0]!.backedOffUntil).toBeNull();
    for (let i = 0; i < 4; i++) await st.llm.complete(req);
    expect(flaky.calls).toHaveLength(5); // back in the round robin
  });

  it("sends more to the faster server (fewest outstanding requests)", async () => {
    // 400 ms against 1 ms: wide enough that a loaded machine's scheduling noise cannot blur it.
    const slow = await server({ script: () => "ok", latency: { baseMs: 400, perTokenMs: 0 } });
    const fast = await server({ script: () => "ok", latency: { baseMs: 1, perTokenMs: 0 } });
    const st = await stack([slow.url, fast.url], { maxRequests: 4 });
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 8; i++) await st.llm.complete(req);
      }),
    );
    expect(slow.calls.length + fast.calls.length).toBe(32);
    expect(fast.calls.length).toBeGreaterThan(3 * slow.calls.length);
  });
});
