import { describe, expect, it } from "vitest";
import { LlmError } from "../src/errors.js";
import { AdaptiveLimiter } from "../src/llm/adaptive-limiter.js";

/** A task the test finishes by hand, so in-flight counts are exact. */
function deferred<T = string>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("AdaptiveLimiter: admission", () => {
  it("runs at most cap at once and queues the rest, FIFO", async () => {
    const c = clock();
    const lim = new AdaptiveLimiter({ initial: 2, max: 2, now: c.now });
    const tasks = [deferred(), deferred(), deferred(), deferred()];
    const order: number[] = [];
    const runs = tasks.map((d, i) =>
      lim.run(() => {
        order.push(i);
        return d.promise;
      }),
    );
    await tick();
    expect(lim.inFlight).toBe(2);
    expect(lim.queued).toBe(2);
    expect(order).toEqual([0, 1]);
    tasks[1]!.resolve("b");
    await tick();
    expect(order).toEqual([0, 1, 2]);
    tasks[0]!.resolve("a");
    tasks[2]!.resolve("c");
    tasks[3]!.resolve("d");
    expect(await Promise.all(runs)).toEqual(["a", "b", "c", "d"]);
    expect(lim.inFlight).toBe(0);
    expect(lim.maxInFlight).toBe(2);
  });

  it("a queued call whose signal aborts leaves the queue with the signal's reason", async () => {
    const lim = new AdaptiveLimiter({ initial: 1, max: 1, now: () => 0 });
    const first = deferred();
    const running = lim.run(() => first.promise);
    const controller = new AbortController();
    let ran = false;
    const waiting = lim.run(async () => {
      ran = true;
      return "never";
    }, controller.signal);
    await tick();
    expect(lim.queued).toBe(1);
    controller.abort(new Error("cancelled"));
    await expect(waiting).rejects.toThrow("cancelled");
    expect(lim.queued).toBe(0);
    first.resolve("done");
    await running;
    expect(ran).toBe(false);
  });

  it("releases the slot when the task throws", async () => {
    const lim = new AdaptiveLimiter({ initial: 1, max: 1, now: () => 0 });
    await expect(lim.run(async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(lim.inFlight).toBe(0);
    expect(await lim.run(async () => "y")).toBe("y");
  });
});

describe("AdaptiveLimiter: AIMD", () => {
  const overload = () => new LlmError("HTTP 429", { status: 429 });

  it("halves the cap once for a burst of 429s from calls that were in flight together", async () => {
    const lim = new AdaptiveLimiter({ initial: 16, max: 16, now: () => 0 });
    const tasks = Array.from({ length: 16 }, () => deferred());
    const runs = tasks.map((d) => lim.run(() => d.promise).catch(() => "failed"));
    await tick();
    for (const d of tasks) d.reject(overload());
    await Promise.all(runs);
    expect(lim.cap).toBe(8);
    expect(lim.decreases).toBe(1);
  });

  it("a 429 from a call started after the decrease lowers it again (down to min)", async () => {
    const lim = new AdaptiveLimiter({ initial: 16, max: 16, min: 3, now: () => 0 });
    const caps: number[] = [];
    for (let i = 0; i < 5; i++) {
      await lim.run(async () => Promise.reject(overload())).catch(() => undefined);
      caps.push(lim.cap);
    }
    expect(caps).toEqual([8, 4, 3, 3, 3]);
  });

  it.each([
    [503, true],
    [500, false],
    [400, false],
  ])("HTTP %i lowers the cap: %s", async (status, lowers) => {
    const lim = new AdaptiveLimiter({ initial: 8, max: 8, now: () => 0 });
    await lim.run(async () => Promise.reject(new LlmError("x", { status }))).catch(() => undefined);
    expect(lim.cap).toBe(lowers ? 4 : 8);
  });

  it("raises the cap by 1 per increaseEvery healthy completions, up to max", async () => {
    const lim = new AdaptiveLimiter({ initial: 8, max: 8, increaseEvery: 3, now: () => 0 });
    await lim.run(async () => Promise.reject(overload())).catch(() => undefined);
    expect(lim.cap).toBe(4);
    const caps: number[] = [];
    for (let i = 0; i < 15; i++) {
      await lim.run(async () => "ok");
      caps.push(lim.cap);
    }
    expect(caps).toEqual([4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 8]);
  });

  it("a failure breaks the healthy streak", async () => {
    const lim = new AdaptiveLimiter({ initial: 2, max: 4, increaseEvery: 2, now: () => 0 });
    await lim.run(async () => "ok");
    await lim.run(async () => Promise.reject(new LlmError("500", { status: 500 }))).catch(() => undefined);
    await lim.run(async () => "ok");
    expect(lim.cap).toBe(2);
    await lim.run(async () => "ok");
    expect(lim.cap).toBe(3);
  });

  it("a raised cap lets queued calls start at once", async () => {
    const lim = new AdaptiveLimiter({ initial: 1, max: 2, increaseEvery: 1, now: () => 0 });
    const a = deferred();
    const b = deferred();
    const c = deferred();
    const ra = lim.run(() => a.promise);
    const rb = lim.run(() => b.promise);
    const rc = lim.run(() => c.promise);
    await tick();
    expect([lim.inFlight, lim.queued]).toEqual([1, 2]);
    a.resolve("a"); // healthy: cap 1 -> 2, so b and c both start
    await tick();
    expect([lim.cap, lim.inFlight, lim.queued]).toEqual([2, 2, 0]);
    b.resolve("b");
    c.resolve("c");
    await Promise.all([ra, rb, rc]);
  });

  /** Runs calls that take the given ms on the fake clock. */
  function timed(lim: AdaptiveLimiter, c: ReturnType<typeof clock>) {
    return (ms: number, key?: string, tokens?: number) =>
      lim.run(
        async () => {
          c.advance(ms);
          return tokens ?? 1;
        },
        undefined,
        {
          ...(key === undefined ? {} : { key }),
          ...(tokens === undefined ? {} : { weight: (t: number) => t }),
        },
      );
  }

  it("lowers the cap when latency stays far above its recent level (after warm-up), not for one outlier", async () => {
    const c = clock();
    const lim = new AdaptiveLimiter({
      initial: 8,
      max: 8,
      latencyWarmup: 20,
      increaseEvery: 1000,
      now: c.now,
    });
    const call = timed(lim, c);
    await call(5000); // slow, but still warming up: no decision
    for (let i = 0; i < 30; i++) await call(100);
    expect(lim.cap).toBe(8);
    await call(900); // one 9x outlier: the fast average moves to ~2.6x, below 3x
    expect(lim.cap).toBe(8);
    for (let i = 0; i < 10; i++) await call(100);
    const caps: number[] = [];
    for (let i = 0; i < 8; i++) {
      await call(800); // the server has really slowed down: a few such calls lower the cap
      caps.push(lim.cap);
    }
    expect(caps[0]).toBe(8);
    expect(caps.at(-1)).toBe(4);
    expect(lim.decreases).toBe(1);
  });

  it("compares latency within a key and per unit of weight", async () => {
    const c = clock();
    const lim = new AdaptiveLimiter({ initial: 8, max: 8, latencyWarmup: 5, now: c.now });
    const call = timed(lim, c);
    for (let i = 0; i < 40; i++) {
      await call(50, "evaluate"); // short replies
      await call(3000, "implement"); // long replies: 60x slower, but another key
      await call(20 * (i % 2 === 0 ? 10 : 200), "propose", i % 2 === 0 ? 10 : 200); // 20 ms per token
    }
    expect(lim.decreases).toBe(0);
    expect(lim.cap).toBe(8);
  });

  it("latencyFactor 0 turns the latency rule off", async () => {
    const c = clock();
    const lim = new AdaptiveLimiter({ initial: 8, max: 8, latencyFactor: 0, latencyWarmup: 1, now: c.now });
    const call = timed(lim, c);
    for (const ms of [100, 100, 100, 10_000, 10_000, 10_000, 10_000]) await call(ms);
    expect(lim.cap).toBe(8);
  });

  it("a call failing after its own signal aborted says nothing about the server", async () => {
    const lim = new AdaptiveLimiter({ initial: 8, max: 8, now: () => 0 });
    const controller = new AbortController();
    const d = deferred();
    const p = lim.run(() => d.promise, controller.signal).catch(() => "x");
    await tick();
    controller.abort();
    d.reject(overload());
    await p;
    expect(lim.cap).toBe(8);
    // The same failure without an abort does lower it.
    await lim.run(async () => Promise.reject(overload())).catch(() => undefined);
    expect(lim.cap).toBe(4);
  });

  it("min = max pins the cap", async () => {
    const lim = new AdaptiveLimiter({ initial: 4, min: 4, max: 4, now: () => 0 });
    await lim.run(async () => Promise.reject(overload())).catch(() => undefined);
    expect(lim.cap).toBe(4);
  });
});
