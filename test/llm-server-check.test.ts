import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ServerCheckError } from "../src/errors.js";
import { checkServer } from "../src/llm/server-check.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";

const KEY = "sk-check-key-0987654321";
const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function fake(options: { models?: string[] | null; apiKey?: string } = {}) {
  const s = await startFakeOpenAiServer({ script: () => "ok", ...options });
  servers.push(s);
  return s;
}

async function checkError(p: Promise<unknown>): Promise<ServerCheckError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ServerCheckError);
  const err = e as ServerCheckError;
  expect(`${err.message} ${err.hint ?? ""}`).not.toContain(KEY);
  return err;
}

describe("checkServer", () => {
  it("lists the served models when the model is there", async () => {
    const s = await fake({ models: ["a", "google/gemma-2-2b-it"], apiKey: KEY });
    const r = await checkServer({
      baseUrl: s.url,
      apiKey: KEY,
      model: "google/gemma-2-2b-it",
      timeoutMs: 2000,
    });
    expect(r).toEqual({ models: ["a", "google/gemma-2-2b-it"] });
  });

  it("unreachable: says so and asks whether the server runs", async () => {
    const s = await fake();
    const url = s.url;
    await s.close();
    servers.length = 0;
    const e = await checkError(checkServer({ baseUrl: url, apiKey: KEY, model: "m", timeoutMs: 2000 }));
    expect(e.message).toContain(`cannot reach ${url}`);
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(e.message).toContain("is the server running? (--base-url / $OPENAI_BASE_URL)");
    expect(e.exitCode).toBe(1);
  });

  it("a server that never answers: times out with the same advice", async () => {
    const silent = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const e = await checkError(
        checkServer({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: KEY, model: "m", timeoutMs: 300 }),
      );
      expect(e.message).toMatch(/cannot reach .* no answer within 300 ms; is the server running\?/);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it("401: the server rejected the key", async () => {
    const s = await fake({ apiKey: "another-key" });
    const e = await checkError(
      checkServer({ baseUrl: s.url, apiKey: KEY, model: "fake-model", timeoutMs: 2000 }),
    );
    expect(e.message).toContain("server rejected the API key (set $OPENAI_API_KEY or --api-key-env)");
  });

  it("model not served: names what is, and how to pick it", async () => {
    const s = await fake({ models: ["Qwen/Qwen2.5-14B-Instruct", "llama"] });
    const e = await checkError(
      checkServer({ baseUrl: s.url, apiKey: KEY, model: "google/gemma-2-2b-it", timeoutMs: 2000 }),
    );
    expect(e.message).toBe(
      `model google/gemma-2-2b-it is not served by ${s.url}; it serves: Qwen/Qwen2.5-14B-Instruct, llama`,
    );
    expect(e.hint).toMatch(/--served-model/);
  });

  it("no /models route under /v1: warns and goes on", async () => {
    const s = await fake({ models: null });
    const r = await checkServer({ baseUrl: s.url, apiKey: KEY, model: "m", timeoutMs: 2000 });
    expect(r.models).toEqual([]);
    expect(r.warning).toMatch(/404/);
  });

  it("404 on a base URL without /v1: says to add it", async () => {
    const s = await fake({ models: null });
    const root = s.url.replace(/\/v1$/, "");
    const e = await checkError(checkServer({ baseUrl: root, apiKey: KEY, model: "m", timeoutMs: 2000 }));
    expect(e.message).toMatch(/lack \/v1/);
    expect(e.hint).toContain(`--base-url ${root}/v1`);
  });

  it("lists without checking when no model is given", async () => {
    const s = await fake({ models: ["x", "y"] });
    expect(await checkServer({ baseUrl: `${s.url}/`, apiKey: "", timeoutMs: 2000 })).toEqual({
      models: ["x", "y"],
    });
  });
});
