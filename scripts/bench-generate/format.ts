/** The benchmark's tables and the analyses behind them (where the idle slot-time is, occupancy). */
import type { RecordedCall } from "../../test/support/fake-openai-server.js";
import type { PrefixShare } from "./prefix-share.js";
import type { RunResult } from "./run.js";
import { TOTAL_SLOTS as SLOTS } from "./settings.js";

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
export const num = (x: number, digits = 1): string => x.toFixed(digits);
export const int = (x: number): string => Math.round(x).toLocaleString("en-US");
export const mark = (ok: boolean): string => (ok ? "met" : "MISSED");
export const plural = (n: number, word: string): string => `${int(n)} ${word}${n === 1 ? "" : "s"}`;

export function mainTable(conc: RunResult, seq: RunResult, ratio: number): string {
  const rows: [string, string, string, string][] = [
    ["problems", `${conc.done} of ${conc.problems}`, `${seq.done} of ${seq.problems}`, ""],
    [
      "`--concurrency` / `--max-requests`",
      `${conc.concurrency} / ${conc.maxRequests}`,
      `${seq.concurrency} / ${seq.maxRequests}`,
      "",
    ],
    ["wall time, sra process", `${num(conc.processSeconds)} s`, `${num(seq.processSeconds)} s`, ""],
    [
      "**problems per minute**",
      `**${num(conc.problemsPerMinute)}**`,
      `**${num(seq.problemsPerMinute)}**`,
      `**${num(ratio)}x**`,
    ],
    ["LLM calls per problem", num(conc.callsPerProblem), num(seq.callsPerProblem), ""],
    [
      "prompt / completion tokens per problem",
      `${int(conc.promptTokensPerProblem)} / ${int(conc.completionTokensPerProblem)}`,
      `${int(seq.promptTokensPerProblem)} / ${int(seq.completionTokensPerProblem)}`,
      "",
    ],
    [
      "**slot utilisation**, first request to last reply",
      `**${pct(conc.utilisationActive)}**`,
      pct(seq.utilisationActive),
      "",
    ],
    ["slot utilisation, whole sra process", pct(conc.utilisationProcess), pct(seq.utilisationProcess), ""],
    ["most requests in flight (server)", String(conc.serverMaxInFlight), String(seq.serverMaxInFlight), ""],
    [
      "**sra CPU per LLM call**",
      `**${num(conc.sraCpuMsPerCall, 2)} ms**`,
      `${num(seq.sraCpuMsPerCall, 2)} ms`,
      "",
    ],
    [
      "sra CPU per LLM call, start-up and exit left out",
      conc.sraCpuMsPerCallActive === null ? "?" : `${num(conc.sraCpuMsPerCallActive, 2)} ms`,
      seq.sraCpuMsPerCallActive === null ? "?" : `${num(seq.sraCpuMsPerCallActive, 2)} ms`,
      "",
    ],
    ["sra peak RSS", `${num(conc.sraPeakRssMb, 0)} MB`, `${num(seq.sraPeakRssMb, 0)} MB`, ""],
    [
      "fake server CPU per call (not sra's)",
      `${num(conc.serverCpuMsPerCall, 2)} ms`,
      `${num(seq.serverCpuMsPerCall, 2)} ms`,
      "",
    ],
  ];
  return [
    "| | concurrent | sequential (reference design) | ratio |",
    "|---|---:|---:|---:|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

export function prefixTable(p: PrefixShare): string {
  const lines = [
    "| prompts | count | mean chars | prefix share, same problem | in whole 16-token blocks | counting other problems too |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  const order = ["reflect", "propose", "evaluate", "implement", "cot"];
  const entries = Object.entries(p.byPurpose).sort(
    (a, b) => ((order.indexOf(a[0]) + 99) % 99) - ((order.indexOf(b[0]) + 99) % 99),
  );
  for (const [purpose, s] of entries) {
    lines.push(
      `| ${purpose} | ${int(s.prompts)} | ${int(s.meanChars)} | ${pct(s.share)} | ${pct(s.blockShare)} | ${pct(s.runShare)} |`,
    );
  }
  lines.push(`| **all** | | | **${pct(p.share)}** | ${pct(p.blockShare)} | ${pct(p.runShare)} |`);
  return lines.join("\n");
}

export function memoryTable(m: RunResult): string {
  const timeline = m.rssTimelineMb;
  const at = (f: number): string =>
    timeline.length === 0
      ? "?"
      : `${num(timeline[Math.min(timeline.length - 1, Math.floor(f * timeline.length))] as number, 0)}`;
  return [
    "| problems | latency | wall time | problems per minute | LLM calls | sra CPU per call | RSS at 25% / 50% / 90% of the run | **peak RSS** |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${int(m.done)} | ${m.latency.baseMs} ms | ${num(m.processSeconds / 60, 1)} min | ${num(m.problemsPerMinute, 0)} | ` +
      `${int(m.llmCalls)} | ${num(m.sraCpuMsPerCall, 2)} ms | ${at(0.25)} / ${at(0.5)} / ${at(0.9)} MB | **${num(m.sraPeakRssMb, 0)} MB** |`,
  ].join("\n");
}

export interface TailAnalysis {
  /** From the first request to the last moment the server held at least S requests (decoding or queued). */
  saturatedSeconds: number;
  utilisationSaturated: number;
  /** From then to the last reply: only the last problems' sequential search steps are left. */
  tailSeconds: number;
  utilisationTail: number;
  /**
   * An estimate of the most any client could reach on this run's problems: the work done before the
   * tail packed into S slots at 100%, followed by the same tail. The tail is the last problems'
   * sequential steps at the server's bare latency, which a faster client cannot shorten.
   */
  ceiling: number;
}

/** Where the active window's idle slot-time is: while the server was saturated, or in the tail. */
export function analyseTail(calls: RecordedCall[]): TailAnalysis | null {
  const ok = calls.filter((c) => c.startedAt > 0 && c.finishedAt > 0);
  if (ok.length === 0) return null;
  const events: [number, number][] = [];
  for (const c of ok) events.push([c.receivedAt, 1], [c.finishedAt, -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const t0 = events[0]?.[0] ?? 0;
  const t1 = Math.max(...ok.map((c) => c.finishedAt));
  let held = 0;
  let saturatedUntil = t0;
  for (const [t, d] of events) {
    held += d;
    if (held >= SLOTS) saturatedUntil = t;
  }
  const busyIn = (from: number, to: number): number =>
    ok.reduce((sum, c) => sum + Math.max(0, Math.min(c.finishedAt, to) - Math.max(c.startedAt, from)), 0);
  const sat = Math.max(1, saturatedUntil - t0);
  const tail = Math.max(1, t1 - saturatedUntil);
  const before = busyIn(t0, saturatedUntil);
  const during = busyIn(saturatedUntil, t1);
  return {
    ceiling: (before + during) / (before + SLOTS * (t1 - saturatedUntil)),
    saturatedSeconds: (saturatedUntil - t0) / 1000,
    utilisationSaturated: busyIn(t0, saturatedUntil) / (SLOTS * sat),
    tailSeconds: (t1 - saturatedUntil) / 1000,
    utilisationTail: busyIn(saturatedUntil, t1) / (SLOTS * tail),
  };
}

/**
 * Per `bucketMs` of the active window: the share of slots busy, and the mean number of requests the
 * server held (decoding or queued). A dip with few requests held is sra not sending; a dip at the end is
 * the tail (the last problems' sequential steps).
 */
export function occupancy(calls: RecordedCall[], bucketMs: number): { busy: number[]; held: number[] } {
  const ok = calls.filter((c) => c.startedAt > 0 && c.finishedAt > 0);
  if (ok.length === 0) return { busy: [], held: [] };
  const t0 = Math.min(...ok.map((c) => c.receivedAt));
  const t1 = Math.max(...ok.map((c) => c.finishedAt));
  const n = Math.max(1, Math.ceil((t1 - t0) / bucketMs));
  const busy = new Array<number>(n).fill(0);
  const held = new Array<number>(n).fill(0);
  const spread = (acc: number[], from: number, to: number): void => {
    for (let b = Math.floor((from - t0) / bucketMs); b < n && b * bucketMs + t0 < to; b++) {
      const lo = Math.max(from, t0 + b * bucketMs);
      const hi = Math.min(to, t0 + (b + 1) * bucketMs);
      if (hi > lo) acc[b] = (acc[b] as number) + (hi - lo);
    }
  };
  for (const c of ok) {
    spread(busy, c.startedAt, c.finishedAt);
    spread(held, c.receivedAt, c.finishedAt);
  }
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    busy: busy.map((v) => round(v / (bucketMs * SLOTS))),
    held: held.map((v) => round(v / bucketMs)),
  };
}

export function strip(
  r: RunResult,
): Omit<RunResult, "calls"> & { occupancy?: { busy: number[]; held: number[] } } {
  const { calls, ...rest } = r;
  return calls ? { ...rest, occupancy: occupancy(calls, 500) } : rest;
}
