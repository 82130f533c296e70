/**
 * What `sra eval`'s progress shows in each phase (pure: numbers in, text out): generating samples,
 * computing the canonical solutions' expected outputs, and running the checks. Drawn by generate's
 * ProgressReporter (a bar on a terminal, a plain line every 10 s or 5% elsewhere).
 */
import { formatCount, formatDuration, type ProgressView } from "../run/progress.js";

export interface PhaseSnapshot {
  /** What is counted ("samples", "checks"), after the numbers. */
  unit: string;
  done: number;
  total: number;
  elapsedMs: number;
  /** Extra fields, most useful first (cut from the end when the terminal is narrow). */
  parts: string[];
  /** Shown instead of the ETA when set (every server is down). */
  waiting?: string;
}

function eta(s: PhaseSnapshot): string {
  if (s.waiting) return s.waiting;
  if (s.done === 0) return "ETA ?";
  const left = s.total > s.done ? (s.elapsedMs / s.done) * (s.total - s.done) : 0;
  return `ETA ${formatDuration(left)}`;
}

function share(s: PhaseSnapshot): number {
  return s.total > 0 ? Math.min(1, s.done / s.total) : 1;
}

export function formatPhaseBar(s: PhaseSnapshot, columns: number): string {
  const width = 20;
  const filled = Math.round(share(s) * width);
  const head = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${s.done}/${s.total} ${s.unit} ${Math.floor(share(s) * 100)}%`;
  const tail = [formatDuration(s.elapsedMs), eta(s)];
  // Drop extra fields from the end until the line fits; the counts, the time and the ETA stay.
  const parts = [...s.parts];
  for (;;) {
    const line = [head, ...parts, ...tail].join(" | ");
    if (line.length <= columns || parts.length === 0) {
      return line.length > columns ? line.slice(0, Math.max(0, columns - 1)) : line;
    }
    parts.pop();
  }
}

export function formatPhaseLine(s: PhaseSnapshot): string {
  const fields = [`${s.done}/${s.total} ${s.unit} (${Math.floor(share(s) * 100)}%)`, ...s.parts];
  return `progress: ${fields.join(", ")}, elapsed ${formatDuration(s.elapsedMs)}, ${eta(s)}`;
}

export function phaseView(snapshot: () => PhaseSnapshot): ProgressView {
  return {
    bar: (columns) => formatPhaseBar(snapshot(), columns),
    line: () => formatPhaseLine(snapshot()),
    fraction: () => {
      const s = snapshot();
      return s.total > 0 ? s.done / s.total : 0;
    },
  };
}

/** The fields of the generation phase. */
export function generationParts(s: {
  failed: number;
  completionTokens: number;
  elapsedMs: number;
  inFlight: number;
  cap: number;
}): string[] {
  const seconds = s.elapsedMs / 1000;
  return [
    ...(s.failed > 0 ? [`${s.failed} failed`] : []),
    `${formatCount(seconds > 0 ? s.completionTokens / seconds : 0)} tok/s`,
    `in flight ${s.inFlight}/${s.cap}`,
  ];
}

/** The fields of the checking phase. */
export function checkParts(s: {
  pass: number;
  fail: number;
  timeout: number;
  elapsedMs: number;
  done: number;
}): string[] {
  const seconds = s.elapsedMs / 1000;
  return [
    `pass ${s.pass}, fail ${s.fail}${s.timeout > 0 ? `, timeout ${s.timeout}` : ""}`,
    `${seconds > 0 ? (s.done / seconds).toFixed(1) : "0.0"} samples/s`,
  ];
}
