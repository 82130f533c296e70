/**
 * The one retry policy of the LLM edge. The openai client's own retries are switched off
 * (`maxRetries: 0` in openai-llm.ts) so that every retry is decided, delayed, counted and logged here,
 * and so that each attempt goes back through the limiter and the endpoint pool (it may land on another
 * server, and no limiter slot is held while we sleep).
 */
import { setTimeout as delay } from "node:timers/promises";
import { LlmError } from "../errors.js";
import { tableDefaults } from "../util/option-table.js";
import { SERVER_SETTINGS } from "./llm-settings.js";
import type { CompletionRequest, CompletionResult, Llm } from "./types.js";

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = never retry). */
  maxAttempts: number;
  /** Back-off before the second attempt. */
  initialDelayMs: number;
  /** No exponential back-off grows past this. */
  maxDelayMs: number;
  /** Growth of the back-off per attempt. */
  factor: number;
  /** 0..1: each back-off is drawn from [base × (1 − jitter), base], so concurrent failures spread out. */
  jitter: number;
}

/** The default policy: configs/defaults.yaml, `server.retry` (it says why). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = tableDefaults(
  SERVER_SETTINGS.retry,
) as unknown as RetryPolicy;

/**
 * A server's Retry-After is honoured up to this. Past it we would rather try again (maybe on another
 * endpoint) than let one rate-limit reply park a worker for minutes.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * When the server says how long to wait, we wait that long plus up to this fraction × jitter of it,
 * so that the 64 requests that all got "Retry-After: 2" do not all come back in the same millisecond.
 */
export const RETRY_AFTER_SPREAD = 0.2;

/**
 * Milliseconds to wait after attempt `attempt` (1-based) failed. Pure: `rand` returns [0, 1).
 * Without Retry-After: min(maxDelay, initial × factor^(attempt−1)) × (1 − jitter × rand).
 * With Retry-After: the server's wait (capped at MAX_RETRY_AFTER_MS) × (1 + RETRY_AFTER_SPREAD × jitter × rand);
 * it replaces the exponential term, because the server knows better than our guess.
 */
export function computeBackoff(
  attempt: number,
  policy: RetryPolicy,
  rand: () => number,
  retryAfterMs?: number,
): number {
  const r = Math.min(Math.max(rand(), 0), 1);
  const jitter = Math.min(Math.max(policy.jitter, 0), 1);
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) {
    const wait = Math.min(Math.max(retryAfterMs, 0), MAX_RETRY_AFTER_MS);
    return Math.round(wait * (1 + RETRY_AFTER_SPREAD * jitter * r));
  }
  const exponent = Math.max(attempt - 1, 0);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** exponent);
  return Math.round(base * (1 - jitter * r));
}

/**
 * The wait a server asked for, from `retry-after-ms` (OpenAI's, milliseconds) or `Retry-After`
 * (RFC 9110: delay-seconds or an HTTP date). undefined when absent or unreadable. A date in the past is 0.
 */
export function parseRetryAfter(
  headers: { get(name: string): string | null } | undefined,
  now: number,
): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "") {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The last error of a call that failed every attempt: an LlmError, with the attempt count. */
export class LlmRetriesExhaustedError extends LlmError {
  readonly attempts: number;
  constructor(last: LlmError, attempts: number) {
    super(`${last.message} (gave up after ${attempts} attempts)`, {
      status: last.status,
      isRetryable: last.isRetryable,
      retryAfterMs: last.retryAfterMs,
      endpoint: last.endpoint,
      ...(last.fault ? { fault: last.fault } : {}),
      cause: last,
      hint: last.hint,
    });
    this.attempts = attempts;
  }
}

export interface RetryInfo {
  /** The attempt that failed (1-based). */
  attempt: number;
  maxAttempts: number;
  /** How long we wait before the next attempt. */
  delayMs: number;
  error: LlmError;
  purpose: CompletionRequest["purpose"];
}

export interface WithRetryOptions {
  /** Abortable sleep; rejects when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** [0, 1) for jitter; Math.random by default (this is the I/O edge, not the seeded core). */
  rand?: () => number;
  onRetry?: (info: RetryInfo) => void;
  /**
   * Before each attempt: waits while the whole service is down (EndpointPool.waitWhileDown), so that
   * requests queue up for a restarting server instead of failing their problems. Returns undefined
   * when there is nothing to wait for, so a healthy run pays no extra await per call.
   */
  beforeAttempt?: (signal?: AbortSignal) => Promise<void> | undefined;
  /**
   * Whether a retryable failure counts against the attempt budget (default: always). The stack says no
   * while every endpoint is down: those attempts wait for the server, they do not give up on it.
   */
  counts?: (error: LlmError) => boolean;
}

/** Sleep that ends early, by rejecting with the signal's reason, when the signal aborts. */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) {
    signal?.throwIfAborted();
    return;
  }
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw e;
  }
}

/**
 * Retries retryable LlmErrors (408, 409, 429, 500, 502, 503, 504, connection faults, timeouts,
 * malformed replies) with exponential back-off and jitter, honouring Retry-After. Anything else (400,
 * 401, 404, 501, a bug)
 * is thrown at once. An aborted signal stops at once, with the signal's reason. After the last
 * attempt the last error is thrown again, its message saying how many attempts were made.
 */
export function withRetry(llm: Llm, policy: RetryPolicy, options: WithRetryOptions = {}): Llm {
  const sleep = options.sleep ?? abortableSleep;
  const rand = options.rand ?? Math.random;
  const maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  return {
    async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
      for (let attempt = 1; ; attempt++) {
        signal?.throwIfAborted();
        const gate = options.beforeAttempt?.(signal);
        if (gate) await gate;
        try {
          return await llm.complete(request, signal);
        } catch (e) {
          if (signal?.aborted) throw signal.reason;
          if (!(e instanceof LlmError) || !e.isRetryable) throw e;
          if (options.counts && !options.counts(e)) {
            // Not counted: the service is down, and beforeAttempt waits for it to come back.
            attempt--;
            continue;
          }
          if (attempt >= maxAttempts) {
            if (maxAttempts === 1) throw e;
            throw new LlmRetriesExhaustedError(e, attempt);
          }
          const delayMs = computeBackoff(attempt, policy, rand, e.retryAfterMs);
          options.onRetry?.({ attempt, maxAttempts, delayMs, error: e, purpose: request.purpose });
          await sleep(delayMs, signal);
        }
      }
    },
  };
}
