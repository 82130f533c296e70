import { describe, expect, it } from "vitest";
import { LlmError } from "../src/errors.js";
import { type EndpointHealthEvent, EndpointPool } from "../src/llm/endpoint-pool.js";
import type { CompletionRequest, CompletionResult, Llm } from "../src/llm/types.js";

const request: CompletionRequest = { purpose: "propose", messages: [{ role: "user", content: "q" }] };
const ok: CompletionResult = { text: "ok", finishReason: "stop", promptTokens: 1, completionTokens: 1 };
const tick = () => new Promise((r) => setImmediate(r));

type Mode = "ok" | "fail" | "refused" | "bad-request" | "hold" | "hold-then-fail";

/** An endpoint whose behaviour the test switches; "hold" keeps calls open until release(). */
function endpoint(url: string) {
  const held: (() => void)[] = [];
  const e = {
    url,
    mode: "ok" as Mode,
    calls: 0,
    release: () => {
      for (const r of held.splice(0)) r();
    },
    llm: {
      async complete(): Promise<CompletionResult> {
        e.calls++;
        if (e.mode === "fail") throw new LlmError(`${url}: HTTP 503`, { status: 503, endpoint: url });
        if (e.mode === "refused") {
          throw new LlmError(`${url}: connection failed: ECONNREFUSED`, {
            isRetryable: true,
            endpoint: url,
            fault: "network",
          });
        }
        if (e.mode === "bad-request") throw new LlmError(`${url}: HTTP 400`, { status: 400, endpoint: url });
        if (e.mode === "hold" || e.mode === "hold-then-fail") {
          const failAfter = e.mode === "hold-then-fail";
          await new Promise<void>((r) => held.push(r));
          if (failAfter) throw new LlmError(`${url}: connection reset`, { endpoint: url });
        }
        return ok;
      },
    } as Llm,
  };
  return e;
}

function setup(
  n: number,
  options: {
    failureThreshold?: number;
    backoffMs?: number;
    maxBackoffMs?: number;
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
    ping?: () => Promise<void>;
  } = {},
) {
  let t = 1_000_000;
  const eps = Array.from({ length: n }, (_, i) => endpoint(`http://e${i}/v1`));
  const events: EndpointHealthEvent[] = [];
  const pool = new EndpointPool(
    eps.map((e) => ({ url: e.url, llm: e.llm, ...(options.ping ? { ping: options.ping } : {}) })),
    {
      now: () => t,
      failureThreshold: 2,
      backoffMs: 1000,
      maxBackoffMs: 4000,
      onHealthChange: (e) => events.push(e),
      ...options,
    },
  );
  return { eps, pool, events, advance: (ms: number) => (t += ms), now: () => t };
}

const attempt = (pool: EndpointPool) => pool.complete(request).catch((e: unknown) => e);

describe("EndpointPool: choosing an endpoint", () => {
  it("round-robins between idle endpoints", async () => {
    const { eps, pool } = setup(3);
    for (let i = 0; i < 9; i++) await pool.complete(request);
    expect(eps.map((e) => e.calls)).toEqual([3, 3, 3]);
  });

  it("sends to the endpoint with the fewest outstanding requests", async () => {
    const { eps, pool } = setup(2);
    for (const e of eps) e.mode = "hold";
    const held = [pool.complete(request), pool.complete(request)]; // e0 then e1 (round robin)
    await tick();
    expect(pool.stats().map((s) => s.outstanding)).toEqual([1, 1]);
    eps[1]!.mode = "ok";
    eps[1]!.release();
    await held[1];
    // e0 has 1 outstanding, e1 none: the next three go to e1 (it stays at 0 outstanding as each ends).
    for (let i = 0; i < 3; i++) await pool.complete(request);
    expect(eps.map((e) => e.calls)).toEqual([1, 4]);
    eps[0]!.release();
    await held[0];
  });

  it("keeps load even under concurrency: 40 held calls split 20/20", async () => {
    const { eps, pool } = setup(2);
    for (const e of eps) e.mode = "hold";
    const calls = Array.from({ length: 40 }, () => pool.complete(request));
    await tick();
    expect(pool.stats().map((s) => s.outstanding)).toEqual([20, 20]);
    for (const e of eps) e.release();
    await Promise.all(calls);
    expect(pool.stats().map((s) => [s.requests, s.outstanding])).toEqual([
      [20, 0],
      [20, 0],
    ]);
  });
});

describe("EndpointPool: back-off and recheck", () => {
  it("backs an endpoint off after N consecutive retryable failures, then probes it once", async () => {
    const { eps, pool, events, advance, now } = setup(2);
    const [bad, good] = eps as [ReturnType<typeof endpoint>, ReturnType<typeof endpoint>];
    bad.mode = "fail";
    for (let i = 0; i < 4; i++) await attempt(pool); // bad, good, bad (2nd failure: backed off), good
    expect(bad.calls).toBe(2);
    expect(pool.stats()[0]!.backedOffUntil).toBe(now() + 1000);
    for (let i = 0; i < 10; i++) await attempt(pool);
    expect(bad.calls).toBe(2); // left out while backed off
    expect(good.calls).toBe(12);

    advance(1000); // back-off over: one probe goes to it
    await attempt(pool);
    expect(bad.calls).toBe(3);
    // The probe failed: out for twice as long.
    expect(pool.stats()[0]!.backedOffUntil).toBe(now() + 2000);
    advance(1999);
    await attempt(pool);
    expect(bad.calls).toBe(3);
    advance(1);
    await attempt(pool);
    expect(bad.calls).toBe(4);
    expect(pool.stats()[0]!.backedOffUntil).toBe(now() + 4000);
    advance(4000);
    await attempt(pool);
    expect(pool.stats()[0]!.backedOffUntil).toBe(now() + 4000); // capped at maxBackoffMs

    bad.mode = "ok"; // it recovers: the next probe brings it back
    advance(4000);
    await pool.complete(request);
    expect(pool.stats()[0]).toMatchObject({ backedOffUntil: null, consecutiveFailures: 0 });
    expect(events.map((e) => [e.state, e.consecutiveFailures])).toEqual([
      ["backed-off", 2],
      ["backed-off", 3],
      ["backed-off", 4],
      ["backed-off", 5],
      ["healthy", 5],
    ]);
    const before = bad.calls;
    for (let i = 0; i < 4; i++) await pool.complete(request);
    expect(bad.calls - before).toBe(2); // back in the rotation
  });

  it("lets only one probe through while it is being rechecked", async () => {
    const { eps, pool, advance } = setup(2);
    const [bad, good] = eps as [ReturnType<typeof endpoint>, ReturnType<typeof endpoint>];
    bad.mode = "fail";
    for (let i = 0; i < 4; i++) await attempt(pool);
    advance(1000);
    bad.mode = "hold";
    good.mode = "hold";
    const calls = Array.from({ length: 6 }, () => pool.complete(request));
    await tick();
    expect(pool.stats().map((s) => s.outstanding)).toEqual([1, 5]);
    bad.release();
    good.release();
    await Promise.all(calls);
  });

  it("does not count non-retryable errors against an endpoint", async () => {
    const { eps, pool } = setup(2);
    eps[0]!.mode = "bad-request";
    for (let i = 0; i < 10; i++) await attempt(pool);
    expect(pool.stats()[0]).toMatchObject({ backedOffUntil: null, failures: 0, requests: 5 });
  });

  it("a success resets the consecutive count", async () => {
    const { eps, pool } = setup(1, { failureThreshold: 3 });
    const e = eps[0]!;
    for (const mode of ["fail", "fail", "ok", "fail", "fail"] as Mode[]) {
      e.mode = mode;
      await attempt(pool);
    }
    expect(pool.stats()[0]).toMatchObject({ backedOffUntil: null, consecutiveFailures: 2, failures: 4 });
  });

  it("when every endpoint is backed off, uses the one whose back-off ends first", async () => {
    const { eps, pool, advance } = setup(2);
    for (const e of eps) e.mode = "fail";
    await attempt(pool); // e0
    await attempt(pool); // e1
    await attempt(pool); // e0: backed off until t+1000
    advance(500);
    await attempt(pool); // e1: backed off until t+1500
    const [s0, s1] = pool.stats();
    expect(s0!.backedOffUntil! < s1!.backedOffUntil!).toBe(true);
    const before = eps.map((e) => e.calls);
    eps[0]!.mode = "ok";
    expect(await pool.complete(request)).toEqual(ok);
    expect(eps[0]!.calls).toBe(before[0]! + 1);
    expect(eps[1]!.calls).toBe(before[1]);
    // It answered: healthy again.
    expect(pool.stats()[0]!.backedOffUntil).toBeNull();
  });

  it("failures of calls already in flight when it was backed off do not extend the back-off", async () => {
    const { eps, pool, now } = setup(1, { failureThreshold: 1 });
    const e = eps[0]!;
    e.mode = "hold-then-fail";
    const calls = [attempt(pool), attempt(pool), attempt(pool)];
    await tick();
    e.release(); // all three fail together, as when a server crashes
    await Promise.all(calls);
    expect(pool.stats()[0]).toMatchObject({ failures: 3, backedOffUntil: now() + 1000 }); // level 1, not 3
  });
});

describe("EndpointPool: every endpoint down (an outage)", () => {
  /** A sleep the test ends by hand: each call is recorded with its duration. */
  function manualSleep() {
    const sleeps: { ms: number; wake: () => void }[] = [];
    const sleep = (ms: number) => new Promise<void>((resolve) => sleeps.push({ ms, wake: resolve }));
    return { sleeps, sleep };
  }

  it.each([
    ["refused (every endpoint)", "refused", true],
    ["503 (about load, not reachability)", "fail", false],
  ] as const)("%s -> down() is %s", async (_name, mode, down) => {
    const { eps, pool } = setup(2);
    for (const e of eps) e.mode = mode;
    for (let i = 0; i < 4; i++) await attempt(pool);
    expect(pool.stats().every((e) => e.backedOffUntil !== null)).toBe(true);
    expect(pool.down()).toBe(down);
    expect(pool.outages).toBe(down ? 1 : 0);
  });

  it("one endpoint still up: not down", async () => {
    const { eps, pool } = setup(2);
    eps[0]!.mode = "refused";
    for (let i = 0; i < 6; i++) await attempt(pool);
    expect(pool.down()).toBe(false);
  });

  it("waiters sleep until the back-off ends; one goes ahead as the recheck; its success frees the rest", async () => {
    const { sleeps, sleep } = manualSleep();
    const { eps, pool, advance } = setup(1, { sleep });
    eps[0]!.mode = "refused";
    await attempt(pool);
    await attempt(pool);
    expect(pool.down()).toBe(true);

    let released = 0;
    const waiters = Array.from({ length: 3 }, () => pool.waitWhileDown(60_000).then(() => released++));
    await tick();
    expect(released).toBe(0);
    // Each sleeps until the back-off (1000 ms) ends.
    expect(sleeps.map((x) => x.ms)).toEqual([1000, 1000, 1000]);

    advance(1000);
    for (const x of sleeps.splice(0)) x.wake();
    await tick();
    await tick();
    expect(released).toBe(1); // the recheck
    expect(pool.down()).toBe(true);

    eps[0]!.mode = "ok";
    await expect(pool.complete(request)).resolves.toEqual(ok); // the recheck succeeds
    await Promise.all(waiters);
    expect(released).toBe(3);
    expect(pool.down()).toBe(false);
    expect(pool.outageMs).toBe(1000);
  });

  it("with a ping, the recheck is the ping, not a waiter's request: a failed ping doubles the wait", async () => {
    const { sleeps, sleep } = manualSleep();
    const pings: { resolve: () => void; reject: (e: unknown) => void }[] = [];
    const ping = () => new Promise<void>((resolve, reject) => pings.push({ resolve, reject }));
    const { eps, pool, advance } = setup(1, { sleep, ping });
    eps[0]!.mode = "refused";
    await attempt(pool);
    await attempt(pool);
    const callsBefore = eps[0]!.calls;
    let released = 0;
    const waiters = Array.from({ length: 2 }, () => pool.waitWhileDown(60_000).then(() => released++));
    await tick();
    advance(1000);
    for (const x of sleeps.splice(0)) x.wake();
    await tick();
    expect(pings).toHaveLength(1); // one recheck, by ping
    pings[0]!.reject(new LlmError("refused", { isRetryable: true, fault: "network" }));
    await tick();
    await tick();
    expect(released).toBe(0);
    // The back-off doubled; both wait for it (before the ping failed, the other waiter was only
    // waiting for the ping's answer: that sleep is left over, and ended by the announcement).
    expect(sleeps.slice(-2).map((x) => x.ms)).toEqual([2000, 2000]);
    advance(2000);
    for (const x of sleeps.splice(0)) x.wake();
    await tick();
    expect(pings).toHaveLength(2);
    pings[1]!.resolve();
    await Promise.all(waiters);
    expect(released).toBe(2);
    expect(pool.down()).toBe(false);
    expect(eps[0]!.calls).toBe(callsBefore); // no real request was spent on the outage
  });

  it("past maxMs nobody waits, and downLongerThan says so", async () => {
    const { sleep } = manualSleep();
    const { eps, pool, advance } = setup(1, { sleep });
    eps[0]!.mode = "refused";
    await attempt(pool);
    await attempt(pool);
    advance(5_001);
    expect(pool.downLongerThan(5_000)).toBe(true);
    await expect(pool.waitWhileDown(5_000)).resolves.toBeUndefined();
    expect(pool.downLongerThan(60_000)).toBe(false);
  });

  it("not down: waitWhileDown returns at once", async () => {
    const { sleeps, sleep } = manualSleep();
    const { pool } = setup(2, { sleep });
    await pool.waitWhileDown(60_000);
    expect(sleeps).toHaveLength(0);
  });
});
