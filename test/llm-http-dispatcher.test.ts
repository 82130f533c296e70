/**
 * Node's fetch kills a request whose headers take over 300 s; our own dispatcher moves that limit to
 * just above the attempt deadline. These tests prove the openai client really sends through the
 * dispatcher we give it (a short transport limit fails a slow reply that our deadline would allow).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createHttpDispatcher } from "../src/llm/http-dispatcher.js";
import { createOpenAiLlm } from "../src/llm/openai-llm.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";

const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const req = { purpose: "implement" as const, messages: [{ role: "user" as const, content: "code" }] };

describe("http dispatcher", () => {
  it("is an undici Agent built from Node's own fetch", async () => {
    const d = await createHttpDispatcher({ timeoutMs: 1000 });
    expect(d).toBeDefined();
    expect(typeof d?.dispatch).toBe("function");
    await d?.destroy();
  });

  it("the openai client sends through it: its transport limit applies, not the default 300 s", async () => {
    // undici checks its transport timers about every 0.5-1 s, so the numbers here are not smaller.
    const s = await startFakeOpenAiServer({ script: () => ({ content: "slow", delayMs: 1600 }) });
    servers.push(s);
    const strict = createHttpDispatcher({ timeoutMs: 5000, headersTimeoutMs: 500 });
    const strictLlm = createOpenAiLlm({
      baseUrl: s.url,
      apiKey: "k",
      model: "m",
      systemRole: true,
      timeoutMs: 5000,
      dispatcher: strict,
    });
    // Same server, same deadline, default transport limits (deadline + slack): the reply comes through.
    const normalLlm = createOpenAiLlm({
      baseUrl: s.url,
      apiKey: "k",
      model: "m",
      systemRole: true,
      timeoutMs: 5000,
    });
    const started = Date.now();
    let failedAfter = 0;
    const [e, ok] = await Promise.all([
      strictLlm.complete(req).catch((x: unknown) => {
        failedAfter = Date.now() - started;
        return x;
      }),
      normalLlm.complete(req),
    ]);
    // undici's headers timeout, long before our 5 s deadline and before the reply at 1.6 s.
    expect(e).toMatchObject({ isRetryable: true });
    expect(failedAfter).toBeLessThan(1550);
    expect(ok.text).toBe("slow");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    await (await strict)?.destroy();
    await normalLlm.close();
  });
});
