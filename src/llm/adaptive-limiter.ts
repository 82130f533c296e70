/**
 * A concurrency limit on LLM requests that adapts like TCP congestion control (AIMD): additive increase,
 * multiplicative decrease.
 *
 * - Decrease: a call fails with 429 or 503 (the server says it is overloaded), or latency climbs far
 *   above its recent level: the cap is multiplied by decreaseFactor (down to min). At most once per
 *   "window": only a call that started after the last decrease can cause the next one, so the 40
 *   requests that were all in flight when a server began returning 429 count as one congestion event,
 *   not forty (which would collapse the cap to min at once).
 * - Increase: after `increaseEvery` healthy completions in a row, the cap grows by 1, up to max.
 *
 * The latency rule compares a fast EWMA (about the last 5 calls) with a slow one (about the last 50),
 * per key (the stack uses the call's purpose: an "evaluate" reply is a few tokens, an "implement" reply
 * hundreds) and per unit of weight (the stack uses completion tokens + 16, so a long reply is not
 * mistaken for a slow server). It fires when fast > latencyFactor × slow after a warm-up, which a
 * single outlier cannot do; then the fast average restarts from the slow one, so a further decrease
 * needs new evidence. It catches a server that suddenly degrades (another job on the GPU, KV-cache
 * preemption); a vLLM that is merely full queues requests and shows it mostly through this rule,
 * while rate-limited APIs and proxies show it through 429s.
 *
 * `--max-requests N` is both the initial cap and the max: we never exceed what the user allowed, and
 * back off only when the server shows it cannot keep up. Clock injected; no timers.
 */

import { onAbort } from "./abort-listeners.js";

export interface AdaptiveLimiterOptions {
  initial: number;
  /** Lowest cap (default 1). */
  min?: number;
  max: number;
  /** Healthy completions in a row per +1 (default 8). */
  increaseEvery?: number;
  /** Multiplies the cap on overload (default 0.5). */
  decreaseFactor?: number;
  /** Overload when the fast latency average exceeds this × the slow one (default 3; 0 = off). */
  latencyFactor?: number;
  /** Completions measured per key before the latency rule applies to it (default 20). */
  latencyWarmup?: number;
  now: () => number;
  /** Whether a failure is the server saying it is overloaded; default: status 429 or 503. */
  isOverload?: (error: unknown) => boolean;
}

export interface RunOptions<T> {
  /** Latency is compared within a key only (default ""). */
  key?: string;
  /** Latency is divided by this (e.g. tokens produced) before averaging (default 1). */
  weight?: (result: T) => number;
}

export interface LimiterEvent {
  kind: "decrease" | "increase";
  cap: number;
  reason: "overload" | "latency" | "healthy";
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  /** Stops listening for the caller's abort (once granted). */
  dispose: (() => void) | undefined;
}

interface LatencyAverages {
  fast: number;
  slow: number;
  samples: number;
}

export const DEFAULT_LIMITER_OPTIONS = {
  min: 1,
  increaseEvery: 8,
  decreaseFactor: 0.5,
  latencyFactor: 3,
  latencyWarmup: 20,
} as const;

/** EWMA weights of the newest sample: ~5 and ~50 samples of memory. */
const FAST_ALPHA = 0.2;
const SLOW_ALPHA = 0.02;

export function isOverloadError(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 429 || status === 503;
}

export class AdaptiveLimiter {
  private capValue: number;
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private readonly min: number;
  private readonly max: number;
  private readonly increaseEvery: number;
  private readonly decreaseFactor: number;
  private readonly latencyFactor: number;
  private readonly latencyWarmup: number;
  private readonly now: () => number;
  private readonly isOverload: (error: unknown) => boolean;
  /** Sequence number of the next call to start. */
  private nextSeq = 0;
  /** Calls numbered below this were in flight at the last decrease: they cannot cause another. */
  private windowStart = 0;
  private healthyStreak = 0;
  private readonly latency = new Map<string, LatencyAverages>();
  private peak = 0;
  /** Called on every change of the cap (for logs). */
  onChange: ((event: LimiterEvent) => void) | undefined;
  decreases = 0;
  increases = 0;

  constructor(options: AdaptiveLimiterOptions) {
    this.max = Math.max(1, Math.floor(options.max));
    this.min = Math.min(this.max, Math.max(1, Math.floor(options.min ?? DEFAULT_LIMITER_OPTIONS.min)));
    this.capValue = Math.min(this.max, Math.max(this.min, Math.floor(options.initial)));
    this.increaseEvery = Math.max(1, options.increaseEvery ?? DEFAULT_LIMITER_OPTIONS.increaseEvery);
    this.decreaseFactor = Math.min(
      0.99,
      Math.max(0.01, options.decreaseFactor ?? DEFAULT_LIMITER_OPTIONS.decreaseFactor),
    );
    this.latencyFactor = options.latencyFactor ?? DEFAULT_LIMITER_OPTIONS.latencyFactor;
    this.latencyWarmup = options.latencyWarmup ?? DEFAULT_LIMITER_OPTIONS.latencyWarmup;
    this.now = options.now;
    this.isOverload = options.isOverload ?? isOverloadError;
  }

  get cap(): number {
    return this.capValue;
  }
  get inFlight(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiters.length;
  }
  /** The most calls ever in flight at once. */
  get maxInFlight(): number {
    return this.peak;
  }

  /** Runs fn once a slot is free (FIFO). An aborted signal while waiting rejects with its reason. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal, options: RunOptions<T> = {}): Promise<T> {
    await this.acquire(signal);
    const seq = this.nextSeq++;
    const started = this.now();
    try {
      const result = await fn();
      const weight = options.weight ? options.weight(result) : 1;
      this.recordSuccess(seq, this.now() - started, options.key ?? "", weight);
      return result;
    } catch (e) {
      this.recordFailure(seq, e, signal);
      throw e;
    } finally {
      this.active--;
      this.drain();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.capValue && this.waiters.length === 0) {
      this.grant();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, dispose: undefined };
      if (signal) {
        // Multiplexed: hundreds of waiters share the run's one signal (abort-listeners.ts).
        waiter.dispose = onAbort(signal, () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
        });
      }
      this.waiters.push(waiter);
    });
  }

  private grant(): void {
    this.active++;
    if (this.active > this.peak) this.peak = this.active;
  }

  private drain(): void {
    while (this.active < this.capValue && this.waiters.length > 0) {
      const w = this.waiters.shift()!;
      w.dispose?.();
      this.grant();
      w.resolve();
    }
  }

  /** Whether this latency sample shows the server slowing down (and updates the averages). */
  private isSlow(key: string, latencyMs: number, weight: number): boolean {
    if (this.latencyFactor <= 0) return false;
    const x = latencyMs / Math.max(weight, 1e-9);
    const avg = this.latency.get(key);
    if (!avg) {
      // The first call of a key is left out: it pays for connection set-up and a cold server.
      this.latency.set(key, { fast: 0, slow: 0, samples: 0 });
      return false;
    }
    avg.samples++;
    // Plain running means until there are enough samples for the EWMAs (bias correction).
    avg.fast += Math.max(FAST_ALPHA, 1 / avg.samples) * (x - avg.fast);
    avg.slow += Math.max(SLOW_ALPHA, 1 / avg.samples) * (x - avg.slow);
    if (avg.samples <= this.latencyWarmup || avg.fast <= this.latencyFactor * avg.slow) return false;
    avg.fast = avg.slow; // the next decrease needs fresh evidence
    return true;
  }

  private recordSuccess(seq: number, latencyMs: number, key: string, weight: number): void {
    if (this.isSlow(key, latencyMs, weight)) {
      this.healthyStreak = 0;
      this.decrease(seq, "latency");
      return;
    }
    this.healthyStreak++;
    if (this.healthyStreak >= this.increaseEvery) {
      this.healthyStreak = 0;
      if (this.capValue < this.max) {
        this.capValue++;
        this.increases++;
        this.onChange?.({ kind: "increase", cap: this.capValue, reason: "healthy" });
        this.drain();
      }
    }
  }

  private recordFailure(seq: number, error: unknown, signal: AbortSignal | undefined): void {
    if (signal?.aborted) return; // our own cancellation says nothing about the server
    this.healthyStreak = 0;
    if (this.isOverload(error)) this.decrease(seq, "overload");
  }

  private decrease(seq: number, reason: "overload" | "latency"): void {
    if (seq < this.windowStart) return; // same congestion event as the last decrease
    this.windowStart = this.nextSeq;
    const next = Math.max(this.min, Math.floor(this.capValue * this.decreaseFactor));
    if (next === this.capValue) return;
    this.capValue = next;
    this.decreases++;
    this.onChange?.({ kind: "decrease", cap: this.capValue, reason });
  }
}
