/**
 * The OpenAI adapter over real HTTP on loopback, through the real openai client: request mapping,
 * reply mapping, and each fault mapped to an LlmError (retryable or not), with no retries of its own.
 */
import { afterEach, describe, expect, it } from "vitest";
import { LlmError } from "../src/errors.js";
import { buildChatBody, createOpenAiLlm, type OpenAiLlmOptions } from "../src/llm/openai-llm.js";
import type { CompletionRequest } from "../src/llm/types.js";
import { type FakeReply, type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";

const KEY = "sk-test-5ecret-key-0123456789";
const servers: FakeServer[] = [];
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const s of servers.splice(0)) await s.close();
});

async function setup(
  reply: FakeReply | ((index: number) => FakeReply),
  llmOptions: Partial<OpenAiLlmOptions> = {},
  serverOptions: { apiKey?: string } = {},
) {
  const server = await startFakeOpenAiServer({
    script: (ctx) => (typeof reply === "function" ? reply(ctx.index) : reply),
    ...serverOptions,
  });
  servers.push(server);
  const llm = createOpenAiLlm({
    baseUrl: server.url,
    apiKey: KEY,
    model: "fake-model",
    systemRole: true,
    timeoutMs: 5000,
    ...llmOptions,
  });
  closers.push(() => llm.close());
  return { server, llm };
}

const req = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
  purpose: "evaluate",
  messages: [
    { role: "system", content: "You are a careful judge." },
    { role: "user", content: "Score this step." },
  ],
  ...over,
});

async function failure(p: Promise<unknown>): Promise<LlmError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(LlmError);
  return e as LlmError;
}

describe("request mapping", () => {
  it("sends the sampling fields, the model, the key and x-sra-purpose", async () => {
    const { server, llm } = await setup("ok");
    await llm.complete(req({ temperature: 0.3, topP: 0.9, maxTokens: 77, stop: ["</s>", "\n\n"], seed: 42 }));
    const call = server.calls[0]!;
    expect(call.purpose).toBe("evaluate");
    expect(call.authorization).toBe(`Bearer ${KEY}`);
    expect(call.body).toMatchObject({
      model: "fake-model",
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 77,
      stop: ["</s>", "\n\n"],
      seed: 42,
    });
    expect(call.body.messages).toEqual(req().messages);
  });

  it.each(["propose", "reflect", "evaluate", "implement", "cot", "check"] as const)(
    "sends x-sra-purpose: %s",
    async (purpose) => {
      const { server, llm } = await setup("ok");
      await llm.complete(req({ purpose }));
      expect(server.calls[0]!.purpose).toBe(purpose);
    },
  );

  it("leaves out fields the request does not set", async () => {
    const { server, llm } = await setup("ok");
    await llm.complete(req());
    const body = server.calls[0]!.body;
    for (const k of [
      "temperature",
      "top_p",
      "max_tokens",
      "stop",
      "seed",
      "structured_outputs",
      "guided_regex",
    ]) {
      expect(body).not.toHaveProperty(k);
    }
  });

  it("folds the system prompt into the first user turn for a model without a system role (Gemma)", async () => {
    const { server, llm } = await setup("ok", { systemRole: false, model: "google/gemma-2-2b-it" });
    await llm.complete(req());
    expect(server.calls[0]!.body.messages).toEqual([
      { role: "user", content: "You are a careful judge.\n\nScore this step." },
    ]);
  });

  it.each<[OpenAiLlmOptions["guided"], boolean]>([
    ["vllm", true],
    ["openai", false],
    ["off", false],
    [undefined, false],
  ])("guided %s: regex in the body = %s", async (guided, sent) => {
    const { server, llm } = await setup("ok", { guided });
    await llm.complete(req({ guidedRegex: "Score: [0-9]" }));
    const body = server.calls[0]!.body;
    if (sent) {
      expect(body.structured_outputs).toEqual({ regex: "Score: [0-9]" });
      expect(body.guided_regex).toBe("Score: [0-9]");
    } else {
      expect(body).not.toHaveProperty("structured_outputs");
      expect(body).not.toHaveProperty("guided_regex");
    }
  });

  it("sends extra body fields but never lets them override the model or messages", () => {
    const body = buildChatBody(req({ temperature: 0.5 }), {
      model: "m",
      systemRole: true,
      extraBody: { top_k: 20, model: "other", chat_template_kwargs: { enable_thinking: false } },
    });
    expect(body).toMatchObject({
      model: "m",
      top_k: 20,
      temperature: 0.5,
      chat_template_kwargs: { enable_thinking: false },
    });
  });

  it("caps stop sequences at 4 for OpenAI only", () => {
    const stop = ["a", "b", "c", "d", "e"];
    expect(buildChatBody(req({ stop }), { model: "m", systemRole: true, guided: "openai" }).stop).toEqual(
      stop.slice(0, 4),
    );
    expect(buildChatBody(req({ stop }), { model: "m", systemRole: true, guided: "vllm" }).stop).toEqual(stop);
  });
});

describe("reply mapping", () => {
  it("maps text, finish reason and usage", async () => {
    const { llm } = await setup({ content: "Score: 7", promptTokens: 123, completionTokens: 4 });
    expect(await llm.complete(req())).toEqual({
      text: "Score: 7",
      finishReason: "stop",
      promptTokens: 123,
      completionTokens: 4,
    });
  });

  it("reports finish_reason length", async () => {
    const { llm } = await setup({ content: "truncated", finishReason: "length" });
    expect((await llm.complete(req())).finishReason).toBe("length");
  });

  it.each<[string, FakeReply]>([
    ["null content", { content: null }],
    ["empty content", { content: "" }],
  ])("maps %s to an empty text", async (_n, reply) => {
    const { llm } = await setup(reply);
    expect((await llm.complete(req())).text).toBe("");
  });

  it("estimates tokens (about 4 chars a token) when the server sends no usage, and says so", async () => {
    const { llm } = await setup({ content: "x".repeat(40), noUsage: true });
    const r = await llm.complete(req());
    expect(r.usageEstimated).toBe(true);
    expect(r.completionTokens).toBe(10);
    expect(r.promptTokens).toBeGreaterThan(5);
  });
});

describe("errors", () => {
  it("429 with Retry-After: retryable, carries the wait and the endpoint", async () => {
    const { server, llm } = await setup({ status: 429, headers: { "retry-after": "2" } });
    const e = await failure(llm.complete(req()));
    expect(e).toMatchObject({ status: 429, isRetryable: true, retryAfterMs: 2000, endpoint: server.url });
    expect(server.calls).toHaveLength(1); // the client's own retries are off
  });

  it("429 with retry-after-ms", async () => {
    const { llm } = await setup({ status: 429, headers: { "retry-after-ms": "250" } });
    expect((await failure(llm.complete(req()))).retryAfterMs).toBe(250);
  });

  it("429 without Retry-After: retryable, no wait given", async () => {
    const { llm } = await setup({ status: 429 });
    const e = await failure(llm.complete(req()));
    expect(e.isRetryable).toBe(true);
    expect(e.retryAfterMs).toBeUndefined();
  });

  it.each([408, 409, 429, 500, 502, 503, 504])("HTTP %i is retryable", async (status) => {
    const { server, llm } = await setup({ status });
    const e = await failure(llm.complete(req()));
    expect(e).toMatchObject({ status, isRetryable: true });
    expect(e.message).toContain(`HTTP ${status}`);
    expect(server.calls).toHaveLength(1);
  });

  it.each<[number, RegExp]>([
    [400, /context length/],
    [401, /OPENAI_API_KEY.*--api-key-env/],
    [403, /API key/],
    [404, /model name.*--served-model.*base URL/],
    [501, /does not implement.*--base-url/],
  ])("HTTP %i is not retryable and the hint says what to check", async (status, hint) => {
    const { server, llm } = await setup({ status });
    const e = await failure(llm.complete(req()));
    expect(e).toMatchObject({ status, isRetryable: false });
    expect(e.hint).toMatch(hint);
    expect(server.calls).toHaveLength(1);
  });

  // Only the statuses that mean "not now" are worth a back-off; these mean "never".
  it.each([405, 410, 418, 422, 501, 505, 507, 511])("HTTP %i is not retried", async (status) => {
    const { server, llm } = await setup({ status });
    const e = await failure(llm.complete(req()));
    expect(e).toMatchObject({ status, isRetryable: false });
    expect(server.calls).toHaveLength(1);
  });

  it("a real 401 from a server that checks the key", async () => {
    const { llm } = await setup("ok", {}, { apiKey: "the-right-key" });
    const e = await failure(llm.complete(req()));
    expect(e).toMatchObject({ status: 401, isRetryable: false });
    expect(`${e.message} ${e.hint}`).not.toContain(KEY);
  });

  it("never puts the API key in an error message, even when the server echoes it", async () => {
    const { llm } = await setup({
      status: 401,
      rawBody: JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}` } }),
    });
    const e = await failure(llm.complete(req()));
    expect(e.message).not.toContain(KEY);
    expect(e.message).toContain("[redacted]");
    expect(String(e.hint)).not.toContain(KEY);
  });

  it("a 400 naming the system role suggests a preset without one", async () => {
    const { llm } = await setup({
      status: 400,
      rawBody: JSON.stringify({ error: { message: "System role not supported" } }),
    });
    expect((await failure(llm.complete(req()))).hint).toMatch(/systemRole false/);
  });

  it("connection reset: retryable", async () => {
    const { llm } = await setup({ reset: true });
    const e = await failure(llm.complete(req()));
    expect(e.isRetryable).toBe(true);
    expect(e.status).toBeUndefined();
    expect(e.message).toMatch(/connection failed/);
  });

  it("connection refused: retryable, says so", async () => {
    const server = await startFakeOpenAiServer({ script: () => "ok" });
    const url = server.url;
    await server.close();
    const llm = createOpenAiLlm({ baseUrl: url, apiKey: KEY, model: "m", systemRole: true, timeoutMs: 2000 });
    closers.push(() => llm.close());
    const e = await failure(llm.complete(req()));
    expect(e.isRetryable).toBe(true);
    expect(e.message).toMatch(/ECONNREFUSED/);
  });

  it("a hanging server: the client's timeout fires, retryable", async () => {
    const { server, llm } = await setup({ hang: true }, { timeoutMs: 300 });
    const started = Date.now();
    const e = await failure(llm.complete(req()));
    const elapsed = Date.now() - started;
    expect(e.isRetryable).toBe(true);
    expect(e.message).toMatch(/timed out/);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2000);
    expect(server.calls).toHaveLength(1);
  });

  it.each<[string, FakeReply, RegExp]>([
    ["malformed JSON", { rawBody: '{"choices": [ {"message": ' }, /not valid JSON/],
    ["empty choices", { emptyChoices: true }, /no choices/],
    ["a JSON body of the wrong shape", { rawBody: '{"hello": "world"}' }, /no choices/],
  ])("%s: retryable with a clear message", async (_n, reply, message) => {
    const { llm } = await setup(reply);
    const e = await failure(llm.complete(req()));
    expect(e.isRetryable).toBe(true);
    expect(e.message).toMatch(message);
  });

  it("the caller's abort ends the call at once with the signal's reason, not an LlmError", async () => {
    const { llm } = await setup({ hang: true }, { timeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("interrupted by user")), 100);
    const started = Date.now();
    await expect(llm.complete(req(), controller.signal)).rejects.toThrow("interrupted by user");
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
