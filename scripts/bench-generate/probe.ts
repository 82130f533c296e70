/** The probe: loaded into the sra process with --import, it reports that process's own numbers. */

export const PROBE_SOURCE = `
import { writeFileSync } from "node:fs";
const out = process.env.SRA_BENCH_PROBE;
const t0 = performance.now();
const samples = [];
const cpu = [];
let tick = 0;
const timer = setInterval(() => {
  const c = process.cpuUsage();
  cpu.push([Date.now(), (c.user + c.system) / 1000]);
  if (tick++ % 10 !== 0) return;
  const m = process.memoryUsage();
  samples.push([Math.round(performance.now() - t0), m.rss, m.heapUsed, m.external + m.arrayBuffers]);
}, 100);
timer.unref();
process.on("exit", () => {
  const r = process.resourceUsage();
  if (out) writeFileSync(out, JSON.stringify({
    userMs: r.userCPUTime / 1000, systemMs: r.systemCPUTime / 1000, maxRssKb: r.maxRSS, samples, cpu,
  }));
});
`;

export interface Probe {
  userMs: number;
  systemMs: number;
  maxRssKb: number;
  /** [ms since start, rss, heapUsed, external + arrayBuffers] (bytes), once a second. */
  samples: [number, number, number, number][];
  /** [epoch ms, CPU ms so far], ten times a second. */
  cpu: [number, number][];
}

/** CPU ms the process spent between two epoch times (linear between samples). */
export function cpuBetween(cpu: [number, number][], from: number, to: number): number | null {
  if (cpu.length < 2) return null;
  const at = (t: number): number => {
    let prev = cpu[0] as [number, number];
    if (t <= prev[0]) return prev[1];
    for (const s of cpu) {
      if (s[0] >= t) return prev[1] + ((s[1] - prev[1]) * (t - prev[0])) / Math.max(1, s[0] - prev[0]);
      prev = s;
    }
    return prev[1];
  };
  return at(to) - at(from);
}
