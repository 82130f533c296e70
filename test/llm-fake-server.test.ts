/** The fake server's own behaviour that the other suites rely on (capacity model, overload, records). */
import { afterEach, describe, expect, it } from "vitest";
import { createOpenAiLlm, type OpenAiLlm } from "../src/llm/openai-llm.js";
import {
  type FakeServer,
  type FakeServerOptions,
  startFakeOpenAiServer,
} from "./support/fake-openai-server.js";

const servers: FakeServer[] = [];
const llms: OpenAiLlm[] = [];
afterEach(async () => {
  for (const l of llms.splice(0)) await l.close();
  for (const s of servers.splice(0)) await s.close();
});

async function start(options: FakeServerOptions) {
  const s = await startFakeOpenAiServer(options);
  servers.push(s);
  return s;
}

function client(url: string, timeoutMs = 5000) {
  const llm = createOpenAiLlm({
    baseUrl: url,
    apiKey: "k",
    model: "fake-model",
    systemRole: true,
    timeoutMs,
  });
  llms.push(llm);
  return llm;
}

const req = { purpose: "cot" as const, messages: [{ role: "user" as const, content: "hello" }] };

describe("fake OpenAI server", () => {
  it("queues requests beyond its slots, and records in-flight counts", async () => {
    const s = await start({ script: () => "ok", slots: 2, latency: { baseMs: 100, perTokenMs: 0 } });
    const llm = client(s.url);
    const started = Date.now();
    await Promise.all(Array.from({ length: 4 }, () => llm.complete(req)));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(195); // two rounds of 100 ms
    expect(elapsed).toBeLessThan(1000);
    expect(s.maxInFlight()).toBe(4);
    expect(s.calls.map((c) => c.inFlightAtStart).sort()).toEqual([0, 1, 2, 3]);
    expect(s.busySlotMs()).toBeGreaterThanOrEqual(390);
  });

  it("latency grows with completion tokens", async () => {
    const s = await start({
      script: () => ({ content: "x", completionTokens: 20 }),
      latency: { baseMs: 10, perTokenMs: 5 },
    });
    const started = Date.now();
    await client(s.url).complete(req);
    expect(Date.now() - started).toBeGreaterThanOrEqual(105);
  });

  it("frees the slot of a request whose client timed out (as vLLM aborts it)", async () => {
    const s = await start({ script: () => "ok", slots: 1, latency: { baseMs: 600, perTokenMs: 0 } });
    const a = client(s.url, 150)
      .complete(req)
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const b = await client(s.url).complete(req);
    expect(b.text).toBe("ok");
    expect(await a).toMatchObject({ isRetryable: true });
    // b started once a's client left (at ~150 ms), not when a's 600 ms would have ended.
    expect(Date.now() - started).toBeLessThan(600 + 350);
    expect(s.busySlotMs()).toBeLessThan(1000);
    expect(s.calls[0]!.status).toBe(0);
  });

  it("drops a queued request whose client went away without ever running it", async () => {
    const s = await start({ script: () => "ok", slots: 1, latency: { baseMs: 300, perTokenMs: 0 } });
    const first = client(s.url).complete(req);
    await new Promise((r) => setTimeout(r, 30));
    const queued = client(s.url, 100)
      .complete(req)
      .catch((e: unknown) => e);
    expect(await queued).toMatchObject({ isRetryable: true });
    await first;
    expect(s.calls[1]!.startedAt).toBe(0);
    expect(s.busySlotMs()).toBeLessThan(450);
  });

  it("refuses with 429 (and Retry-After) when slots and queue are full", async () => {
    const s = await start({
      script: () => "ok",
      slots: 1,
      maxQueue: 1,
      overloadRetryAfterS: 3,
      latency: { baseMs: 150, perTokenMs: 0 },
    });
    const llm = client(s.url);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => llm.complete(req).catch((e: unknown) => e)),
    );
    const refused = results.filter((r) => (r as { status?: number }).status === 429);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ retryAfterMs: 3000 });
    expect(s.calls.filter((c) => c.status === 200)).toHaveLength(2);
  });

  it("answers error statuses at once, without taking a decoding slot", async () => {
    const s = await start({
      script: () => ({ status: 503 }),
      slots: 1,
      latency: { baseMs: 500, perTokenMs: 0 },
    });
    const started = Date.now();
    await client(s.url)
      .complete(req)
      .catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(400);
    expect(s.busySlotMs()).toBe(0);
  });

  it("records the body, model, key and purpose of every call", async () => {
    const s = await start({ script: (ctx) => `you said ${ctx.prompt}` });
    const r = await client(s.url).complete({ ...req, temperature: 0.1 });
    expect(r.text).toBe("you said hello");
    expect(s.calls[0]).toMatchObject({
      index: 0,
      purpose: "cot",
      model: "fake-model",
      authorization: "Bearer k",
      status: 200,
      body: { temperature: 0.1 },
    });
  });
});
