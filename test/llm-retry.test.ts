import { describe, expect, it } from "vitest";
import { LlmError } from "../src/errors.js";
import {
  computeBackoff,
  DEFAULT_RETRY_POLICY,
  LlmRetriesExhaustedError,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  RETRY_AFTER_SPREAD,
  type RetryInfo,
  type RetryPolicy,
  withRetry,
} from "../src/llm/retry.js";
import type { CompletionRequest, CompletionResult, Llm } from "../src/llm/types.js";

const policy: RetryPolicy = {
  maxAttempts: 6,
  initialDelayMs: 1000,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.5,
};
const noJitter: RetryPolicy = { ...policy, jitter: 0 };

describe("computeBackoff", () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000], // capped at maxDelayMs
    [9, 10_000],
  ])("without jitter, attempt %i waits %i ms", (attempt, expected) => {
    expect(computeBackoff(attempt, noJitter, () => 0.7)).toBe(expected);
  });

  it.each([
    [0, 4000], // rand 0: the full base
    [0.5, 3000], // base × (1 − 0.5 × 0.5)
    [0.999999, 2000], // towards base × (1 − jitter)
  ])("jitter keeps attempt 3 in [base × (1 − jitter), base]: rand %f -> %i ms", (r, expected) => {
    expect(computeBackoff(3, policy, () => r)).toBeCloseTo(expected, -1);
  });

  it("stays within the jitter bounds for many random draws", () => {
    let seed = 1;
    const rand = (): number => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    for (let attempt = 1; attempt <= 8; attempt++) {
      const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      for (let i = 0; i < 200; i++) {
        const d = computeBackoff(attempt, policy, rand);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * (1 - policy.jitter)));
        expect(d).toBeLessThanOrEqual(base);
      }
    }
  });

  it.each([
    [200, 0, 200],
    [200, 1, Math.round(200 * (1 + RETRY_AFTER_SPREAD * 0.5))],
    [5000, 0, 5000], // replaces the exponential term, even on attempt 1 (base 1000)
    [0, 0.5, 0],
    [-50, 0, 0], // a date in the past
    [10 * 60_000, 0, MAX_RETRY_AFTER_MS], // capped
  ])("honours Retry-After %i ms (rand %f) -> %i ms", (retryAfter, r, expected) => {
    expect(computeBackoff(1, policy, () => r, retryAfter)).toBe(expected);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  const headers = (h: Record<string, string>) => ({
    get: (name: string) => h[name.toLowerCase()] ?? null,
  });
  it.each<[string, Record<string, string>, number | undefined]>([
    ["seconds", { "retry-after": "2" }, 2000],
    ["fractional seconds", { "retry-after": "0.2" }, 200],
    ["milliseconds header wins", { "retry-after-ms": "150", "retry-after": "9" }, 150],
    ["HTTP date", { "retry-after": "Wed, 01 Jan 2025 00:00:03 GMT" }, 3000],
    ["HTTP date in the past", { "retry-after": "Tue, 31 Dec 2024 23:59:00 GMT" }, 0],
    ["garbage", { "retry-after": "soon" }, undefined],
    ["bad ms falls back to seconds", { "retry-after-ms": "x", "retry-after": "1" }, 1000],
    ["absent", {}, undefined],
  ])("%s", (_name, h, expected) => {
    expect(parseRetryAfter(headers(h), now)).toBe(expected);
  });
  it("undefined headers", () => expect(parseRetryAfter(undefined, now)).toBeUndefined());
});

const request: CompletionRequest = { purpose: "propose", messages: [{ role: "user", content: "hi" }] };
const ok: CompletionResult = { text: "ok", finishReason: "stop", promptTokens: 1, completionTokens: 1 };

/** An Llm that throws the given errors in order, then answers. */
function scripted(errors: unknown[]): Llm & { calls: number } {
  const llm = {
    calls: 0,
    async complete(): Promise<CompletionResult> {
      const e = errors[llm.calls++];
      if (e !== undefined) throw e;
      return ok;
    },
  };
  return llm;
}

describe("withRetry", () => {
  const fast: RetryPolicy = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0 };

  it("retries retryable errors with the back-off sequence, then succeeds", async () => {
    const llm = scripted([
      new LlmError("503", { status: 503 }),
      new LlmError("reset", {}),
      new LlmError("429", { status: 429 }),
    ]);
    const slept: number[] = [];
    const infos: RetryInfo[] = [];
    const r = await withRetry(llm, fast, {
      sleep: async (ms) => {
        slept.push(ms);
      },
      onRetry: (i) => infos.push(i),
    }).complete(request);
    expect(r).toEqual(ok);
    expect(llm.calls).toBe(4);
    expect(slept).toEqual([100, 200, 400]);
    expect(infos.map((i) => [i.attempt, i.error.status])).toEqual([
      [1, 503],
      [2, undefined],
      [3, 429],
    ]);
  });

  it("uses the server's Retry-After instead of the exponential term", async () => {
    const llm = scripted([new LlmError("429", { status: 429, retryAfterMs: 700 })]);
    const slept: number[] = [];
    await withRetry(llm, fast, {
      sleep: async (ms) => {
        slept.push(ms);
      },
    }).complete(request);
    expect(slept).toEqual([700]);
  });

  it.each([400, 401, 403, 404, 422])("does not retry HTTP %i", async (status) => {
    const llm = scripted([new LlmError(`HTTP ${status}`, { status })]);
    await expect(withRetry(llm, fast, { sleep: async () => {} }).complete(request)).rejects.toMatchObject({
      status,
    });
    expect(llm.calls).toBe(1);
  });

  it("does not retry errors that are not LlmErrors (bugs)", async () => {
    const llm = scripted([new TypeError("boom")]);
    await expect(withRetry(llm, fast, { sleep: async () => {} }).complete(request)).rejects.toThrow("boom");
    expect(llm.calls).toBe(1);
  });

  it("gives up after maxAttempts with the attempt count in the message", async () => {
    const llm = scripted(Array.from({ length: 10 }, () => new LlmError("HTTP 500: down", { status: 500 })));
    const e = await withRetry(llm, fast, { sleep: async () => {} })
      .complete(request)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LlmError);
    expect((e as LlmError).message).toMatch(/HTTP 500: down \(gave up after 4 attempts\)/);
    expect((e as LlmError).status).toBe(500);
    expect(e).toBeInstanceOf(LlmRetriesExhaustedError);
    expect((e as LlmRetriesExhaustedError).attempts).toBe(4);
    expect(llm.calls).toBe(4);
  });

  it("stops at once when the signal aborts during the back-off sleep", async () => {
    const llm = scripted(Array.from({ length: 10 }, () => new LlmError("500", { status: 500 })));
    const controller = new AbortController();
    const started = Date.now();
    const p = withRetry(llm, { ...fast, initialDelayMs: 10_000 }).complete(request, controller.signal);
    setTimeout(() => controller.abort(new Error("user pressed ctrl-c")), 50);
    await expect(p).rejects.toThrow("user pressed ctrl-c");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(llm.calls).toBe(1);
  });

  it("does not start when the signal is already aborted", async () => {
    const llm = scripted([]);
    const controller = new AbortController();
    controller.abort(new Error("stopped"));
    await expect(withRetry(llm, fast).complete(request, controller.signal)).rejects.toThrow("stopped");
    expect(llm.calls).toBe(0);
  });

  it("has defaults that give up within about a minute", () => {
    let total = 0;
    for (let a = 1; a < DEFAULT_RETRY_POLICY.maxAttempts; a++)
      total += computeBackoff(a, DEFAULT_RETRY_POLICY, () => 0);
    expect(total).toBeLessThanOrEqual(60_000);
    expect(total).toBeGreaterThanOrEqual(10_000);
  });
});

describe("withRetry: waiting out an outage", () => {
  const three: RetryPolicy = { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 10, factor: 1, jitter: 0 };
  const refused = () => new LlmError("refused", { isRetryable: true, fault: "network" });

  it("failures that `counts` rejects do not use up attempts; beforeAttempt runs before each attempt", async () => {
    // Five refusals during an outage, then an answer: with 3 attempts it succeeds only if they are not counted.
    const llm = scripted([refused(), refused(), refused(), refused(), refused()]);
    let gates = 0;
    let outage = true;
    const retried = withRetry(llm, three, {
      sleep: async () => {},
      beforeAttempt: async () => {
        gates++;
        if (gates === 6) outage = false;
      },
      counts: () => !outage,
    });
    await expect(retried.complete(request)).resolves.toEqual(ok);
    expect(llm.calls).toBe(6);
    expect(gates).toBe(6);
  });

  it("once `counts` says yes again, the attempt budget applies as usual", async () => {
    const llm = scripted(Array.from({ length: 10 }, refused));
    const retried = withRetry(llm, three, { sleep: async () => {}, counts: () => true });
    await expect(retried.complete(request)).rejects.toBeInstanceOf(LlmRetriesExhaustedError);
    expect(llm.calls).toBe(3);
  });
});
