/**
 * Several servers of the same model as one Llm. Each call goes to the healthy endpoint with the fewest
 * requests outstanding (ties: round robin), which keeps every server's batch full without overfilling a
 * slow one. An endpoint that fails `failureThreshold` times in a row with retryable errors (refused,
 * reset, timeout, 5xx, 429) is backed off: left out for `backoffMs`, doubling on each failed recheck up
 * to `maxBackoffMs`. When its back-off ends, one probe request is let through; success makes it healthy
 * again, failure backs it off for longer. Non-retryable errors (400, 401, 404) are the request's fault,
 * not the server's, and do not count against it. Clock injected: no timers here.
 */
import { LlmError } from "../errors.js";
import type { CompletionRequest, CompletionResult, Llm } from "./types.js";

export interface EndpointPoolOptions {
  now: () => number;
  /** Consecutive retryable failures before an endpoint is backed off (default 3). */
  failureThreshold?: number;
  /** First back-off (default 5 s). */
  backoffMs?: number;
  /** Longest back-off (default 2 min). */
  maxBackoffMs?: number;
  /** Told when an endpoint is backed off or comes back (for logs). */
  onHealthChange?: (event: EndpointHealthEvent) => void;
}

export interface EndpointHealthEvent {
  url: string;
  state: "backed-off" | "healthy";
  /** With "backed-off": epoch ms until which it is left out. */
  until?: number;
  /** With "backed-off": how long it is left out (the pool's own number, not re-derived from a clock). */
  backoffMs?: number;
  consecutiveFailures: number;
}

export interface EndpointStats {
  url: string;
  /** Requests sent to this endpoint. */
  requests: number;
  /** Of those, how many failed with a retryable error. */
  failures: number;
  outstanding: number;
  /** Epoch ms until which the endpoint is left out, or null when healthy. */
  backedOffUntil: number | null;
  consecutiveFailures: number;
}

interface EndpointState {
  url: string;
  llm: Llm;
  requests: number;
  failures: number;
  outstanding: number;
  consecutiveFailures: number;
  /** 0 when healthy; n after the n-th back-off in a row. */
  backoffLevel: number;
  backedOffUntil: number | null;
  probing: boolean;
}

export const DEFAULT_POOL_OPTIONS = { failureThreshold: 3, backoffMs: 5_000, maxBackoffMs: 120_000 } as const;

export class EndpointPool implements Llm {
  private readonly endpoints: EndpointState[];
  private readonly now: () => number;
  private readonly failureThreshold: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private cursor = 0;
  private readonly onHealthChange: ((event: EndpointHealthEvent) => void) | undefined;

  constructor(endpoints: { url: string; llm: Llm }[], options: EndpointPoolOptions) {
    if (endpoints.length === 0) throw new Error("EndpointPool needs at least one endpoint");
    this.endpoints = endpoints.map((e) => ({
      url: e.url,
      llm: e.llm,
      requests: 0,
      failures: 0,
      outstanding: 0,
      consecutiveFailures: 0,
      backoffLevel: 0,
      backedOffUntil: null,
      probing: false,
    }));
    this.now = options.now;
    this.onHealthChange = options.onHealthChange;
    this.failureThreshold = Math.max(1, options.failureThreshold ?? DEFAULT_POOL_OPTIONS.failureThreshold);
    this.backoffMs = options.backoffMs ?? DEFAULT_POOL_OPTIONS.backoffMs;
    this.maxBackoffMs = Math.max(this.backoffMs, options.maxBackoffMs ?? DEFAULT_POOL_OPTIONS.maxBackoffMs);
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    const { endpoint, probe } = this.pick();
    endpoint.requests++;
    endpoint.outstanding++;
    if (probe) endpoint.probing = true;
    try {
      const result = await endpoint.llm.complete(request, signal);
      this.markHealthy(endpoint);
      return result;
    } catch (e) {
      if (signal?.aborted) {
        // Our own abort says nothing about the server.
      } else if (e instanceof LlmError && e.isRetryable) {
        this.markFailed(endpoint, probe);
      } else if (probe) {
        // The server answered (with an error that is the request's fault): it is up.
        this.markHealthy(endpoint);
      }
      throw e;
    } finally {
      endpoint.outstanding--;
      if (probe) endpoint.probing = false;
    }
  }

  stats(): EndpointStats[] {
    return this.endpoints.map((e) => ({
      url: e.url,
      requests: e.requests,
      failures: e.failures,
      outstanding: e.outstanding,
      backedOffUntil: e.backedOffUntil,
      consecutiveFailures: e.consecutiveFailures,
    }));
  }

  /** The endpoint for the next request, and whether that request is the recheck of a backed-off one. */
  private pick(): { endpoint: EndpointState; probe: boolean } {
    const t = this.now();
    const n = this.endpoints.length;
    // A back-off that has ended is rechecked by the very next request, so a recovered server
    // rejoins at once (and a dead one costs one request per back-off period).
    for (const e of this.endpoints) {
      if (e.backedOffUntil !== null && e.backedOffUntil <= t && !e.probing)
        return { endpoint: e, probe: true };
    }
    let best: EndpointState | undefined;
    let bestIndex = -1;
    // Scan from the cursor so ties go round robin.
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      const e = this.endpoints[i]!;
      if (e.backedOffUntil !== null) continue;
      if (!best || e.outstanding < best.outstanding) {
        best = e;
        bestIndex = i;
      }
    }
    if (best) {
      this.cursor = (bestIndex + 1) % n;
      return { endpoint: best, probe: false };
    }
    // Every endpoint is backed off (or being rechecked): use the one that comes back first, rather
    // than fail a request that retries may yet save.
    let soonest = this.endpoints[0]!;
    for (const e of this.endpoints) {
      if ((e.backedOffUntil ?? 0) < (soonest.backedOffUntil ?? 0)) soonest = e;
    }
    return { endpoint: soonest, probe: false };
  }

  private markHealthy(e: EndpointState): void {
    if (e.backedOffUntil !== null) {
      this.onHealthChange?.({ url: e.url, state: "healthy", consecutiveFailures: e.consecutiveFailures });
    }
    e.consecutiveFailures = 0;
    e.backoffLevel = 0;
    e.backedOffUntil = null;
  }

  private markFailed(e: EndpointState, probe: boolean): void {
    e.failures++;
    e.consecutiveFailures++;
    if (probe) {
      // The recheck failed: out again, for twice as long (up to the cap).
      e.backoffLevel++;
    } else if (e.backedOffUntil === null && e.consecutiveFailures >= this.failureThreshold) {
      e.backoffLevel = 1;
    } else {
      return;
    }
    const backoffMs = this.backoffFor(e.backoffLevel);
    e.backedOffUntil = this.now() + backoffMs;
    this.onHealthChange?.({
      url: e.url,
      state: "backed-off",
      until: e.backedOffUntil,
      backoffMs,
      consecutiveFailures: e.consecutiveFailures,
    });
    // Failures of requests sent before the back-off began (or forced onto a backed-off endpoint)
    // do not extend it: only a failed recheck does, so a burst counts once.
  }

  private backoffFor(level: number): number {
    return Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (level - 1));
  }
}
