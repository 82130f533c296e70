/**
 * The request queue in front of the engine's sequences: a request takes a free sequence (a slot) or
 * waits its turn, first come first served, and gives it back when its reply is done. While slots are
 * free and several could serve a request, the one it likes best wins (the engine prefers the
 * sequence whose cached tokens share the longest prefix with the prompt, so llama.cpp evaluates only
 * the rest). A waiter whose signal aborts leaves the queue at once with the signal's reason. Pure:
 * no timers, no I/O.
 */
import { onAbort } from "../abort-listeners.js";

interface Waiter<T> {
  resolve: (slot: T) => void;
  reject: (reason: unknown) => void;
}

export class SlotPool<T> {
  private readonly free: T[];
  private readonly waiters: Waiter<T>[] = [];
  private busyCount = 0;
  private busyMax = 0;

  constructor(slots: readonly T[]) {
    if (slots.length === 0) throw new RangeError("a slot pool needs at least one slot");
    this.free = [...slots];
  }

  /** Slots handed out now. */
  get busy(): number {
    return this.busyCount;
  }

  /** The most slots ever handed out at once. */
  get maxBusy(): number {
    return this.busyMax;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiters.length;
  }

  /**
   * A free slot (the one with the highest `score`, the first on a tie), or the next one released.
   * Rejects with `signal.reason` if the signal aborts first.
   */
  acquire(signal?: AbortSignal, score?: (slot: T) => number): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.free.length > 0) return Promise.resolve(this.take(this.pick(score)));
    return new Promise<T>((resolve, reject) => {
      let remove = (): void => undefined;
      const waiter: Waiter<T> = {
        resolve: (slot) => {
          remove();
          resolve(slot);
        },
        reject,
      };
      this.waiters.push(waiter);
      if (signal) {
        remove = onAbort(signal, () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
        });
      }
    });
  }

  /** Give a slot back: to the first waiter, or to the free list. */
  release(slot: T): void {
    const next = this.waiters.shift();
    if (next) {
      next.resolve(slot); // still busy: handed straight on
      return;
    }
    this.busyCount--;
    this.free.push(slot);
  }

  private pick(score: ((slot: T) => number) | undefined): number {
    if (!score || this.free.length === 1) return 0;
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    this.free.forEach((slot, i) => {
      const s = score(slot);
      if (s > bestScore) {
        best = i;
        bestScore = s;
      }
    });
    return best;
  }

  private take(index: number): T {
    const [slot] = this.free.splice(index, 1) as [T];
    this.busyCount++;
    this.busyMax = Math.max(this.busyMax, this.busyCount);
    return slot;
  }
}
