import { describe, expect, it } from "vitest";
import { failureBudgetExceeded, parseMaxFailures } from "../src/run/failure-budget.js";
import {
  expectedCallsPerProblem,
  formatCount,
  formatDuration,
  formatProgressBar,
  formatProgressLine,
  ProgressReporter,
  type ProgressSnapshot,
  progressMode,
  progressNumbers,
} from "../src/run/progress.js";

const snap = (over: Partial<ProgressSnapshot> = {}): ProgressSnapshot => ({
  done: 5,
  failed: 1,
  total: 20,
  calls: 1234,
  promptTokens: 100_000,
  completionTokens: 30_000,
  inFlight: 12,
  cap: 64,
  elapsedMs: 60_000,
  ...over,
});

describe("progress formatting (pure)", () => {
  it.each([
    [0, "0"],
    [999, "999"],
    [1234, "1.2k"],
    [12_345, "12k"],
    [1_234_567, "1.2M"],
  ])("formatCount(%i) = %s", (n, s) => expect(formatCount(n)).toBe(s));

  it.each([
    [0, "0s"],
    [42_000, "42s"],
    [185_000, "3m05s"],
    [7_620_000, "2h07m"],
  ])("formatDuration(%i) = %s", (ms, s) => expect(formatDuration(ms)).toBe(s));

  it("computes fraction, throughput and ETA", () => {
    const n = progressNumbers(snap());
    expect(n.finished).toBe(6);
    expect(n.fraction).toBeCloseTo(0.3);
    expect(n.tokensPerSecond).toBeCloseTo(500);
    // 60 s for 6 problems -> 10 s each, 14 left.
    expect(n.etaMs).toBeCloseTo(140_000);
    expect(progressNumbers(snap({ done: 0, failed: 0 })).etaMs).toBeUndefined();
  });

  it("renders a bar with every figure, cut to the terminal width", () => {
    const bar = formatProgressBar(snap(), 200);
    expect(bar).toMatch(/^\[#{6}\.{14}\] 6\/20 30%/);
    for (const part of ["1 failed", "1.2k calls", "500 tok/s", "in flight 12/64", "1m00s", "ETA 2m20s"]) {
      expect(bar).toContain(part);
    }
    expect(formatProgressBar(snap(), 40).length).toBeLessThanOrEqual(40);
    expect(bar).not.toMatch(/[\r\n]/);
  });

  it("renders a plain line for logs", () => {
    expect(formatProgressLine(snap())).toBe(
      "progress: 6/20 (30%), 1 failed, 1.2k LLM calls, 500 tok/s, in flight 12/64, elapsed 1m00s, ETA 2m20s",
    );
  });

  it("says it is waiting for the server instead of an ETA while every endpoint is down", () => {
    const waiting = snap({ waitingForServer: true });
    expect(formatProgressBar(waiting, 200)).toMatch(/\| WAITING FOR SERVER$/);
    expect(formatProgressBar(waiting, 200)).not.toContain("ETA");
    expect(formatProgressLine(waiting)).toBe(
      "progress: 6/20 (30%), 1 failed, 1.2k LLM calls, 500 tok/s, in flight 12/64, elapsed 1m00s, " +
        "waiting for the server (every endpoint is down)",
    );
  });

  it("chooses the mode from the stream", () => {
    expect(progressMode({ write: () => true, isTTY: true }, true)).toBe("bar");
    expect(progressMode({ write: () => true }, true)).toBe("lines");
    expect(progressMode({ write: () => true, isTTY: true }, false)).toBe("off");
  });
});

/** 256 problems 29 s in: 14 finished (28 calls each), 242 running with 5-24 calls so far. */
const midRun = (over: Partial<ProgressSnapshot> = {}): ProgressSnapshot =>
  snap({
    done: 12,
    failed: 2,
    total: 256,
    calls: 3040,
    completionTokens: 168_200,
    inFlight: 64,
    elapsedMs: 29_000,
    work: {
      running: Array.from({ length: 242 }, (_, i) => 5 + (i % 20)),
      finished: 14,
      finishedCalls: 14 * 28,
    },
    ...over,
  });

describe("progress: the work in progress", () => {
  it.each<[string, NonNullable<ProgressSnapshot["work"]>, number | undefined]>([
    ["nothing answered yet", { running: [0, 0], finished: 0, finishedCalls: 0 }, undefined],
    [
      "nothing finished: twice what the running ones did",
      { running: [4, 8], finished: 0, finishedCalls: 0 },
      12,
    ],
    ["the finished ones' mean", { running: [2, 4], finished: 2, finishedCalls: 40 }, 20],
    ["not below twice the running mean", { running: [15, 15], finished: 2, finishedCalls: 20 }, 30],
  ])("expected calls per problem: %s", (_name, work, expected) => {
    expect(expectedCallsPerProblem(work)).toBe(expected);
  });

  it("before the first problem finishes, the running ones' calls move the bar and give an ETA", () => {
    // The run: 0 of 256 finished, every problem 12 calls in, 10 s elapsed.
    const s = snap({
      done: 0,
      failed: 0,
      total: 256,
      elapsedMs: 10_000,
      work: { running: Array.from({ length: 256 }, () => 12), finished: 0, finishedCalls: 0 },
    });
    const n = progressNumbers(s);
    expect(n.workDone).toBeCloseTo(128);
    expect(n.etaMs).toBeCloseTo(10_000);
    expect(formatProgressBar(s, 200)).toMatch(/^\[={10}\.{10}\] 0\/256 ~50% \| 256 running \|.* \| ETA 10s$/);
    expect(formatProgressLine(s)).toMatch(/^progress: 0\/256 \(~50%; 256 running\), 0 failed, .*ETA 10s$/);
    // Without the work in progress it could only say "ETA ?".
    expect(formatProgressBar({ ...s, work: undefined }, 200)).toMatch(/0\/256 0% .*ETA \?$/);
  });

  it("mixes finished problems and running shares, a running one counting at most 0.9", () => {
    const n = progressNumbers(
      snap({
        done: 2,
        failed: 0,
        total: 10,
        elapsedMs: 30_000,
        work: { running: [5, 100], finished: 2, finishedCalls: 20 },
      }),
    );
    // Expected calls: max(10, 2 x 52.5) = 105; shares 5/105 and 100/105 -> 0.9 (capped).
    expect(n.workDone).toBeCloseTo(2 + 5 / 105 + 0.9);
    expect(n.etaMs).toBeCloseTo((30_000 / n.workDone) * (10 - n.workDone));
  });
});

describe("progress: the bar fitted to the terminal, least useful fields dropped first", () => {
  it.each<[number, boolean, string]>([
    [
      200,
      false,
      "[#==========.........] 14/256 ~52% | 242 running | 2 failed | 3.0k calls | 5.8k tok/s | in flight 64/64 | 29s | ETA 26s",
    ],
    [
      100,
      false,
      "[#==========.........] 14/256 ~52% | 242 running | 2 failed | 3.0k calls | in flight 64/64 | ETA 26s",
    ],
    [80, false, "[#==========.........] 14/256 ~52% | 242 running | 2 failed | ETA 26s"],
    [64, false, "[#==========.........] 14/256 ~52% | 2 failed | ETA 26s"],
    [48, false, "14/256 ~52% | 2 failed | ETA 26s"],
    [80, true, "[#==========.........] 14/256 ~52% | 242 running | 2 failed | WAITING FOR SERVER"],
    [40, true, "14/256 ~52% | WAITING FOR SERVER"],
  ])("%i columns, waiting %s", (columns, waitingForServer, expected) => {
    const bar = formatProgressBar(midRun({ waitingForServer }), columns);
    expect(bar).toBe(expected);
    expect(bar.length).toBeLessThanOrEqual(columns);
  });

  it("a TTY of 80 columns gets the line with the ETA and WAITING FOR SERVER whole", () => {
    const out: string[] = [];
    let s = midRun();
    const r = new ProgressReporter({
      stream: { write: (x: string) => out.push(x), isTTY: true, columns: 80 },
      snapshot: () => s,
      mode: "bar",
      barIntervalMs: 1_000_000,
    });
    r.start();
    s = midRun({ waitingForServer: true });
    r.tick();
    r.stop();
    const drawn = out.filter((x) => x.startsWith("\r")).map((x) => x.slice(1).trimEnd());
    expect(drawn[0]).toMatch(/ETA 26s$/);
    expect(drawn[1]).toMatch(/WAITING FOR SERVER$/);
    for (const line of drawn) expect(line.length).toBeLessThan(80);
  });
});

describe("ProgressReporter", () => {
  it("lines mode prints at 5% steps and every interval, nothing in between", () => {
    const out: string[] = [];
    let t = 0;
    let s = snap({ done: 0, failed: 0, total: 100 });
    const r = new ProgressReporter({
      stream: { write: (x: string) => out.push(x) },
      snapshot: () => s,
      mode: "lines",
      now: () => t,
      lineIntervalMs: 10_000,
    });
    r.start();
    r.tick();
    expect(out).toHaveLength(0);
    s = { ...s, done: 3 };
    r.tick();
    expect(out).toHaveLength(0);
    s = { ...s, done: 5 };
    r.tick();
    expect(out).toHaveLength(1);
    t = 11_000;
    r.tick();
    expect(out).toHaveLength(2);
    r.stop();
    expect(out.every((l) => l.endsWith("\n") && !l.includes("\r"))).toBe(true);
  });

  it("bar mode redraws with \\r only when the text changes, and ends on a new line", () => {
    const out: string[] = [];
    let s = snap();
    const r = new ProgressReporter({
      stream: { write: (x: string) => out.push(x), isTTY: true, columns: 120 },
      snapshot: () => s,
      mode: "bar",
      barIntervalMs: 1_000_000,
    });
    r.start();
    const first = out.length;
    r.tick();
    expect(out.length).toBe(first);
    s = { ...s, done: 6 };
    r.tick();
    expect(out.length).toBe(first + 1);
    expect(out.at(-1)?.startsWith("\r")).toBe(true);
    r.message("hello");
    expect(out.at(-1)).toMatch(/\rhello\n$/);
    r.stop();
    expect(out.at(-1)).toBe("\n");
  });

  it("off mode writes nothing", () => {
    const out: string[] = [];
    const r = new ProgressReporter({
      stream: { write: (x: string) => out.push(x) },
      snapshot: () => snap(),
      mode: "off",
    });
    r.start();
    r.tick();
    r.stop();
    expect(out).toEqual([]);
  });
});

describe("--max-failures", () => {
  it.each([
    ["0", { kind: "count", count: 0 }],
    ["10", { kind: "count", count: 10 }],
    ["0.25", { kind: "fraction", fraction: 0.25 }],
    ["none", { kind: "none" }],
  ])("parses %s", (text, want) => expect(parseMaxFailures(text)).toEqual(want));

  it.each(["-1", "1.5", "abc", "", "1/2"])("rejects %j", (text) => {
    expect(() => parseMaxFailures(text)).toThrow(/--max-failures must be/);
  });

  it.each([
    [{ kind: "count", count: 2 } as const, 2, 3, false],
    [{ kind: "count", count: 2 } as const, 3, 3, true],
    [{ kind: "count", count: 0 } as const, 1, 1, true],
    [{ kind: "fraction", fraction: 0.5 } as const, 5, 5, false], // fewer than 10 finished: no verdict yet
    [{ kind: "fraction", fraction: 0.5 } as const, 5, 10, false],
    [{ kind: "fraction", fraction: 0.5 } as const, 6, 10, true],
    [{ kind: "none" } as const, 1000, 1000, false],
  ])("%j with %i failed of %i finished -> exceeded %s", (m, failed, finished, exceeded) => {
    expect(failureBudgetExceeded(m, failed, finished) !== undefined).toBe(exceeded);
  });
});
