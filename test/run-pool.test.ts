import { describe, expect, it } from "vitest";
import { runPool } from "../src/run/pool.js";

async function* counting(n: number, pulled: { count: number }): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    pulled.count++;
    yield i;
  }
}

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

describe("runPool", () => {
  it.each([1, 3, 8])(
    "runs every item with at most %i at once and never reads ahead of the work",
    async (c) => {
      const pulled = { count: 0 };
      let active = 0;
      let maxActive = 0;
      let maxAhead = 0;
      let finished = 0;
      const seen: number[] = [];
      await runPool(counting(50, pulled), { concurrency: c }, async (i) => {
        active++;
        maxActive = Math.max(maxActive, active);
        maxAhead = Math.max(maxAhead, pulled.count - finished);
        seen.push(i);
        await tick(i % 3);
        active--;
        finished++;
      });
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(maxActive).toBe(c);
      // Items pulled but not finished never exceed the workers.
      expect(maxAhead).toBeLessThanOrEqual(c);
    },
  );

  it("stops pulling when the signal fires; started items finish", async () => {
    const pulled = { count: 0 };
    const controller = new AbortController();
    let done = 0;
    await runPool(counting(1000, pulled), { concurrency: 4, signal: controller.signal }, async (i) => {
      if (i === 10) controller.abort();
      await tick(2);
      done++;
    });
    expect(pulled.count).toBeLessThan(20);
    expect(done).toBe(pulled.count);
  });

  it("rethrows the first worker error after the running ones settle, and stops pulling", async () => {
    const pulled = { count: 0 };
    let settled = 0;
    const err = await runPool(counting(1000, pulled), { concurrency: 3 }, async (i) => {
      await tick(1);
      settled++;
      if (i === 5) throw new Error("disk full");
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("disk full");
    expect(pulled.count).toBeLessThan(15);
    expect(settled).toBe(pulled.count);
  });

  it("handles an empty source", async () => {
    let calls = 0;
    await runPool(counting(0, { count: 0 }), { concurrency: 4 }, async () => {
      calls++;
    });
    expect(calls).toBe(0);
  });
});
