/**
 * Several servers of the same model as one Llm. Each call goes to the healthy endpoint with the fewest
 * requests outstanding (ties: round robin), which keeps every server's batch full without overfilling a
 * slow one. An endpoint that fails `failureThreshold` times in a row with retryable errors (refused,
 * reset, timeout, 500/502/503/504, 429) is backed off: left out for `backoffMs`, doubling on each failed recheck up
 * to `maxBackoffMs`. When its back-off ends, one probe request is let through; success makes it healthy
 * again, failure backs it off for longer. Non-retryable errors (400, 401, 404, 501) are the request's
 * fault, not the server's, and do not count against it.
 *
 * When every endpoint is backed off and was last refused or reset (isUnreachableError), the service is
 * down (a vLLM restarting, a node rebooting): rather
 * than let each request burn its retries against it in half a minute and fail its problem, callers wait
 * in `waitWhileDown` (the retry loop does, before each attempt, holding no limiter slot). One waiter is let
 * through as the recheck when a back-off ends; the others wait for its answer. `down()` tells the retry
 * loop that a failure happened during such an outage and should not count as an attempt. Past
 * `maxOutageMs` nobody waits any more and failures count again, so a server that is gone for good still
 * fails the run's problems (and its --max-failures budget stops the run). Clock and sleep injected.
 */
import { LlmError } from "../errors.js";
import { abortableSleep } from "./retry.js";
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
  /** Told when every endpoint is down (start) and when one answers again (end), for logs. */
  onOutage?: (event: { state: "start" | "end"; downMs: number }) => void;
  /** For waitWhileDown: an abortable sleep (rejects with the signal's reason). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
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
  /** A cheap "are you there" (GET /models): an outage's recheck, instead of a real request. */
  ping: ((signal?: AbortSignal) => Promise<void>) | undefined;
  requests: number;
  failures: number;
  outstanding: number;
  consecutiveFailures: number;
  /** 0 when healthy; n after the n-th back-off in a row. */
  backoffLevel: number;
  backedOffUntil: number | null;
  probing: boolean;
  /** Its last failure said the server cannot be reached (not a reply about this request). */
  unreachable: boolean;
}

/**
 * Whether a failure says the server cannot be reached at all: a refused or reset connection, or a
 * gateway saying its upstream is gone (502, 504: a proxy or Kubernetes service in front of a restarting
 * vLLM). A 500 or 503, a timeout or a malformed reply can be about one request or load, so it never
 * makes an outage by itself.
 */
export function isUnreachableError(e: unknown): boolean {
  if (!(e instanceof LlmError)) return false;
  return e.fault === "network" || e.status === 502 || e.status === 504;
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
  private readonly onOutage: EndpointPoolOptions["onOutage"];
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** When every endpoint became backed off; null while any is healthy. */
  private downSince: number | null = null;
  /** Until when a waiter that went ahead as the recheck holds that role (the others keep waiting). */
  private recheckClaimedUntil = 0;
  /** Resolved (and replaced) on every health change, so waiters wake at once. */
  private changed: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Outages so far, and their total length (ended ones). */
  outages = 0;
  outageMs = 0;

  constructor(
    endpoints: { url: string; llm: Llm; ping?: (signal?: AbortSignal) => Promise<void> }[],
    options: EndpointPoolOptions,
  ) {
    if (endpoints.length === 0) throw new Error("EndpointPool needs at least one endpoint");
    this.endpoints = endpoints.map((e) => ({
      url: e.url,
      llm: e.llm,
      ping: e.ping,
      requests: 0,
      failures: 0,
      outstanding: 0,
      consecutiveFailures: 0,
      backoffLevel: 0,
      backedOffUntil: null,
      probing: false,
      unreachable: false,
    }));
    this.now = options.now;
    this.onHealthChange = options.onHealthChange;
    this.onOutage = options.onOutage;
    this.sleep = options.sleep ?? abortableSleep;
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
        this.markFailed(endpoint, probe, isUnreachableError(e));
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

  /** Whether every endpoint is backed off right now (an outage). */
  down(): boolean {
    return this.downSince !== null;
  }

  /** Whether an outage has lasted longer than `maxMs` (then nobody waits and failures count). */
  downLongerThan(maxMs: number): boolean {
    return this.downSince !== null && this.now() - this.downSince > maxMs;
  }

  /**
   * While every endpoint is down (and for at most `maxMs` of outage), wait: until a back-off ends, when
   * this caller may go ahead as the recheck (one at a time), or until an endpoint answers again.
   */
  async waitWhileDown(maxMs: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const since = this.downSince;
      if (since === null) return;
      const t = this.now();
      if (t - since > maxMs) return;
      const recheckAt = Math.min(...this.endpoints.map((e) => e.backedOffUntil ?? t));
      if (recheckAt <= t && t >= this.recheckClaimedUntil) {
        // One recheck at a time; a claim that never reached a server lapses after a while.
        this.recheckClaimedUntil = t + Math.max(this.backoffMs, 1000);
        const due = this.endpoints.find(
          (e) => e.backedOffUntil !== null && e.backedOffUntil <= t && !e.probing,
        );
        if (!due?.ping) return; // no cheap check: this caller's own request is the recheck
        // The recheck is a ping, not this caller's request: a request that itself breaks the
        // connection (a proxy that resets on it) must not keep the whole run waiting.
        due.probing = true;
        try {
          await due.ping(signal);
          this.markHealthy(due);
        } catch (e) {
          if (signal?.aborted) throw signal.reason;
          this.markFailed(due, true, isUnreachableError(e));
        } finally {
          due.probing = false;
        }
        continue;
      }
      const wake = Math.max(recheckAt, this.recheckClaimedUntil, t + 10);
      const waitMs = Math.min(wake - t, since + maxMs + 1 - t);
      await Promise.race([this.sleep(Math.max(10, waitMs), signal), this.nextChange()]);
      signal?.throwIfAborted();
    }
  }

  private nextChange(): Promise<void> {
    if (!this.changed) {
      let resolve: () => void = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.changed = { promise, resolve };
    }
    return this.changed.promise;
  }

  private announceChange(): void {
    const c = this.changed;
    this.changed = undefined;
    this.recheckClaimedUntil = 0;
    c?.resolve();
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
    const wasBackedOff = e.backedOffUntil !== null;
    if (wasBackedOff) {
      this.onHealthChange?.({ url: e.url, state: "healthy", consecutiveFailures: e.consecutiveFailures });
    }
    e.consecutiveFailures = 0;
    e.backoffLevel = 0;
    e.backedOffUntil = null;
    e.unreachable = false;
    if (this.downSince !== null) {
      const downMs = this.now() - this.downSince;
      this.downSince = null;
      this.outageMs += downMs;
      this.onOutage?.({ state: "end", downMs });
    }
    if (wasBackedOff) this.announceChange();
  }

  private markFailed(e: EndpointState, probe: boolean, unreachable: boolean): void {
    e.failures++;
    e.consecutiveFailures++;
    e.unreachable = unreachable;
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
    if (this.downSince === null && this.endpoints.every((x) => x.backedOffUntil !== null && x.unreachable)) {
      this.downSince = this.now();
      this.outages++;
      this.onOutage?.({ state: "start", downMs: 0 });
    }
    this.announceChange();
  }

  private backoffFor(level: number): number {
    return Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (level - 1));
  }
}
