/**
 * The chat completion transport (dispatch-fetch.ts) and the shared abort listener (abort-listeners.ts):
 * what fetch did that callers rely on, and what they must not pay for.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { onAbort } from "../src/llm/abort-listeners.js";
import { createDispatchFetch, ReplyHeaders, type TransportInit } from "../src/llm/dispatch-fetch.js";
import { createHttpDispatcher, type HttpDispatcher } from "../src/llm/http-dispatcher.js";
import { createOpenAiLlm } from "../src/llm/openai-llm.js";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, Buffer.concat(chunks).toString("utf8"), res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function dispatcher(): Promise<HttpDispatcher> {
  const d = await createHttpDispatcher({ timeoutMs: 5000 });
  if (!d) throw new Error("no undici Agent in this Node");
  cleanups.push(() => d.destroy());
  return d;
}

/** An OpenAI-compatible adapter for the test server at `base`, closed after the test. */
function openAiLlmAt(base: string) {
  const llm = createOpenAiLlm({
    baseUrl: `${base}/v1`,
    apiKey: "k",
    model: "m",
    systemRole: true,
    timeoutMs: 5000,
  });
  cleanups.push(() => llm.close());
  return llm;
}

/** Counts the real "abort" listeners added to `signal` from now on. */
function countListeners(signal: AbortSignal): () => number {
  let added = 0;
  const add = signal.addEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<AbortSignal["addEventListener"]>) => {
    added++;
    add(...args);
  }) as AbortSignal["addEventListener"];
  return () => added;
}

const completion = (content: string) =>
  JSON.stringify({
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 1 },
  });

describe("dispatch fetch", () => {
  it("sends method, path, headers and body, and reads status, headers and JSON", async () => {
    let seen: { method?: string; url?: string; auth?: string; body?: string } = {};
    const base = await serve((req, body, res) => {
      seen = { method: req.method, url: req.url, auth: req.headers.authorization, body };
      res.writeHead(201, { "content-type": "application/json", "x-request-id": "r1" });
      res.end('{"ok":true}');
    });
    const send = createDispatchFetch(await dispatcher());
    const r = await send(`${base}/v1/chat/completions?x=1`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: '{"a":1}',
    });
    expect(seen).toEqual({
      method: "POST",
      url: "/v1/chat/completions?x=1",
      auth: "Bearer k",
      body: '{"a":1}',
    });
    expect(r.status).toBe(201);
    expect(r.ok).toBe(true);
    expect(r.headers.get("x-request-id")).toBe("r1");
    expect(await r.json()).toEqual({ ok: true });
  });

  it.each(["gzip", "br", "deflate"])("decodes a %s reply", async (encoding) => {
    const { brotliCompressSync, deflateSync } = await import("node:zlib");
    const raw = Buffer.from(completion("zipped"));
    const bytes =
      encoding === "gzip" ? gzipSync(raw) : encoding === "br" ? brotliCompressSync(raw) : deflateSync(raw);
    const base = await serve((_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": encoding });
      res.end(bytes);
    });
    const r = await createDispatchFetch(await dispatcher())(`${base}/x`, { method: "POST", body: "{}" });
    expect(await r.json()).toMatchObject({ choices: [{ message: { content: "zipped" } }] });
  });

  it("rejects with the signal's reason when aborted mid-request", async () => {
    const base = await serve(() => {
      /* never answers */
    });
    const controller = new AbortController();
    const pending = createDispatchFetch(await dispatcher())(`${base}/x`, {
      method: "POST",
      body: "{}",
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error("stop now")), 50);
    await expect(pending).rejects.toThrow("stop now");
  });

  it("aborts mid-request on the caller's signal too, with its reason", async () => {
    const base = await serve(() => {
      /* never answers */
    });
    const caller = new AbortController();
    const init: TransportInit = { method: "POST", body: "{}", callerSignal: caller.signal };
    const pending = createDispatchFetch(await dispatcher())(`${base}/x`, init);
    setTimeout(() => caller.abort(new Error("run interrupted")), 50);
    await expect(pending).rejects.toThrow("run interrupted");
  });

  it("a run's shared signal gets one listener, however many requests pass through", async () => {
    const base = await serve((_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(completion("ok"));
    });
    const caller = new AbortController();
    const added = countListeners(caller.signal);
    const llm = openAiLlmAt(base);
    const request = { purpose: "propose" as const, messages: [{ role: "user" as const, content: "hi" }] };
    const replies = await Promise.all(Array.from({ length: 40 }, () => llm.complete(request, caller.signal)));
    expect(replies.map((r) => r.text)).toEqual(Array.from({ length: 40 }, () => "ok"));
    expect(added()).toBe(1);
  });

  it("does not follow a redirect: the adapter reports it as an HTTP error with a hint", async () => {
    const base = await serve((_req, _body, res) => {
      res.writeHead(307, { location: "/elsewhere" });
      res.end();
    });
    const llm = openAiLlmAt(base);
    const e = await llm
      .complete({ purpose: "propose", messages: [{ role: "user", content: "hi" }] })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 307, isRetryable: false });
    expect((e as { hint?: string }).hint).toMatch(/redirect/);
  });
});

describe("ReplyHeaders", () => {
  it("reads names case-insensitively, joins repeats like Headers.get, and iterates lower-cased", () => {
    const h = ReplyHeaders.fromRaw([
      Buffer.from("Content-Type"),
      Buffer.from("application/json"),
      "X-Thing",
      "a",
      "x-thing",
      " b ",
      Buffer.from("Retry-After"),
      Buffer.from("2"),
    ]);
    expect(h.get("content-type")).toBe("application/json");
    expect(h.get("X-THING")).toBe("a, b");
    expect(h.has("retry-after")).toBe(true);
    expect(h.get("missing")).toBeNull();
    expect([...h]).toEqual([
      ["content-type", "application/json"],
      ["x-thing", "a, b"],
      ["retry-after", "2"],
    ]);
    h.delete("Content-Type");
    expect(h.has("content-type")).toBe(false);
    expect(ReplyHeaders.fromRaw(null).get("x")).toBeNull();
  });
});

describe("onAbort", () => {
  it("adds one real listener per signal however many wait, and calls each live callback once", () => {
    const controller = new AbortController();
    const signal = controller.signal;
    const added = countListeners(signal);
    const calls: number[] = [];
    const removers = Array.from({ length: 500 }, (_, i) => onAbort(signal, () => calls.push(i)));
    for (let i = 0; i < 500; i += 2) removers[i]!();
    controller.abort();
    expect(added()).toBe(1);
    expect(calls).toHaveLength(250);
    expect(calls.every((i) => i % 2 === 1)).toBe(true);
    controller.abort();
    expect(calls).toHaveLength(250);
  });
});
