/**
 * Progress on stderr. Formatting is pure (a snapshot in, a string out); the reporter is the edge that
 * owns the timer: on a TTY a one-line bar redrawn with "\r" at most 5 times a second, otherwise a quiet
 * line every 10 seconds or every 5% (logs and CI stay readable).
 */

export interface ProgressSnapshot {
  /** Problems finished in this invocation (a sample, or a plan with --stage plans). */
  done: number;
  /** Problems that failed in this invocation. */
  failed: number;
  /** Problems this invocation set out to do. */
  total: number;
  /** LLM calls made (attempts included). */
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** LLM requests in flight now, and the current cap (adaptive). */
  inFlight: number;
  cap: number;
  elapsedMs: number;
  /** Every server is down and requests are waiting for one to come back (shown instead of the ETA). */
  waitingForServer?: boolean;
  /** The work of the problems in progress (src/run/work-in-progress.ts); absent: finished ones only. */
  work?: {
    /** Answered LLM calls of each problem in progress (replayed ones included). */
    running: readonly number[];
    /** Problems finished or failed so far, and their calls in all. */
    finished: number;
    finishedCalls: number;
  };
}

/** 1234 -> "1.2k", 1234567 -> "1.2M". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "?";
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 1_000_000) return `${(n / 1000).toFixed(a < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(a < 10_000_000 ? 1 : 0)}M`;
}

/** Seconds as "42s", "3m05s", "2h07m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, "0")}m`;
}

export interface ProgressNumbers {
  /** Problems finished or failed. */
  finished: number;
  /** Problems in progress. */
  running: number;
  /** finished / total: the bar's solid part. */
  finishedFraction: number;
  /** The work done, in problems: the finished ones and the estimated share of the running ones. */
  workDone: number;
  /** workDone / total: the percentage shown, and the bar with its lighter part. */
  fraction: number;
  /** Completion tokens per second. */
  tokensPerSecond: number;
  /** Estimated milliseconds left, undefined until some work is done. */
  etaMs: number | undefined;
}

/** A running problem never counts as more than this share done: it is done when it finishes. */
export const RUNNING_SHARE_CAP = 0.9;

/**
 * The LLM calls a problem is expected to take: the larger of the mean of the problems finished so far
 * and twice the mean of those still running. Without a finished problem, the best guess for a running
 * one is that it is halfway (the doubling rule for a duration of which only the elapsed part is
 * known); once problems finish, their mean takes over, but not below that guess, because the problems
 * that finish first are the short ones. undefined before any call was answered.
 */
export function expectedCallsPerProblem(work: NonNullable<ProgressSnapshot["work"]>): number | undefined {
  const meanFinished = work.finished > 0 ? work.finishedCalls / work.finished : 0;
  const running = work.running.reduce((a, b) => a + b, 0);
  const meanRunning = work.running.length > 0 ? running / work.running.length : 0;
  const expected = Math.max(meanFinished, 2 * meanRunning);
  return expected > 0 ? expected : undefined;
}

export function progressNumbers(s: ProgressSnapshot): ProgressNumbers {
  const finished = s.done + s.failed;
  const running = s.work?.running ?? [];
  const expected = s.work ? expectedCallsPerProblem(s.work) : undefined;
  let partial = 0;
  if (expected !== undefined) {
    for (const calls of running) partial += Math.min(RUNNING_SHARE_CAP, calls / expected);
  }
  const workDone = finished + partial;
  const share = (x: number): number => (s.total > 0 ? Math.min(1, x / s.total) : 1);
  const seconds = s.elapsedMs / 1000;
  const tokensPerSecond = seconds > 0 ? s.completionTokens / seconds : 0;
  // The rate of the work so far, in problems, applied to what is left of it.
  const etaMs =
    finished >= s.total && finished > 0
      ? 0
      : workDone > 0
        ? (s.elapsedMs / workDone) * Math.max(0, s.total - workDone)
        : undefined;
  return {
    finished,
    running: running.length,
    finishedFraction: share(finished),
    workDone,
    fraction: share(workDone),
    tokensPerSecond,
    etaMs,
  };
}

const BAR_WIDTH = 20;

/** The work done as a percentage; "~" when it counts an estimate of the running problems' share. */
function percent(n: ProgressNumbers): string {
  return `${n.workDone > n.finished ? "~" : ""}${Math.floor(n.fraction * 100)}%`;
}

/** `[###===......]`: finished problems solid, the estimated share of the running ones lighter. */
function drawBar(n: ProgressNumbers, width: number): string {
  const solid = Math.round(n.finishedFraction * width);
  const light = Math.max(0, Math.round(n.fraction * width) - solid);
  return `[${"#".repeat(solid)}${"=".repeat(light)}${".".repeat(width - solid - light)}]`;
}

/**
 * The TTY bar, fitted to `columns`. Fields are dropped, least useful first, until it fits: tokens per
 * second, elapsed time, LLM calls, requests in flight, problems running, the bar itself (then the
 * failures); the count with its percentage and the ETA (or WAITING FOR SERVER) always stay.
 */
export function formatProgressBar(s: ProgressSnapshot, columns = 100): string {
  const n = progressNumbers(s);
  const count = `${n.finished}/${s.total} ${percent(n)}`;
  // [text, drop rank]: the lowest rank goes first; Infinity never.
  const fields: [string, number][] = [
    [`${drawBar(n, BAR_WIDTH)} ${count}`, 6],
    [n.running > 0 ? `${n.running} running` : "", 5],
    [s.failed > 0 ? `${s.failed} failed` : "", 7],
    [`${formatCount(s.calls)} calls`, 3],
    [`${formatCount(n.tokensPerSecond)} tok/s`, 1],
    [`in flight ${s.inFlight}/${s.cap}`, 4],
    [formatDuration(s.elapsedMs), 2],
    [
      s.waitingForServer
        ? "WAITING FOR SERVER"
        : `ETA ${n.etaMs === undefined ? "?" : formatDuration(n.etaMs)}`,
      Number.POSITIVE_INFINITY,
    ],
  ];
  const kept = fields.filter(([text]) => text !== "");
  const line = () => kept.map(([text]) => text).join(" | ");
  for (let rank = 1; line().length > columns && rank <= 7; rank++) {
    const i = kept.findIndex(([, r]) => r === rank);
    if (i < 0) continue;
    // The bar goes, the count stays.
    if (rank === 6) kept[i] = [count, Number.POSITIVE_INFINITY];
    else kept.splice(i, 1);
  }
  const text = line();
  return text.length > columns ? text.slice(0, Math.max(0, columns)) : text;
}

/** The plain line for logs and CI (no control characters). */
export function formatProgressLine(s: ProgressSnapshot): string {
  const n = progressNumbers(s);
  const running = n.running > 0 ? `; ${n.running} running` : "";
  return (
    `progress: ${n.finished}/${s.total} (${percent(n)}${running}), ${s.failed} failed, ` +
    `${formatCount(s.calls)} LLM calls, ${formatCount(n.tokensPerSecond)} tok/s, ` +
    `in flight ${s.inFlight}/${s.cap}, elapsed ${formatDuration(s.elapsedMs)}, ` +
    (s.waitingForServer
      ? "waiting for the server (every endpoint is down)"
      : `ETA ${n.etaMs === undefined ? "?" : formatDuration(n.etaMs)}`)
  );
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * What a progress display shows, for commands whose progress is not generate's (sra eval's samples
 * and checks): the bar (cut to `columns`), the plain line, and the share done (0..1).
 */
export interface ProgressView {
  bar(columns: number): string;
  line(): string;
  fraction(): number;
}

/** generate's view of a snapshot. */
export function snapshotView(snapshot: () => ProgressSnapshot): ProgressView {
  return {
    bar: (columns) => formatProgressBar(snapshot(), columns),
    line: () => formatProgressLine(snapshot()),
    fraction: () => progressNumbers(snapshot()).fraction,
  };
}

export interface ProgressReporterOptions {
  stream: ProgressStream;
  /** generate's numbers (or give `view`). */
  snapshot?: () => ProgressSnapshot;
  /** What to show, instead of generate's snapshot. */
  view?: ProgressView;
  /** "bar" on a TTY, "lines" otherwise, "off" for --no-progress. */
  mode: "bar" | "lines" | "off";
  now?: () => number;
  /** Minimum time between bar redraws. */
  barIntervalMs?: number;
  /** Time between plain lines (a line is also printed at every 5% step). */
  lineIntervalMs?: number;
}

/** Choose the mode from the stream and --no-progress. */
export function progressMode(stream: ProgressStream, enabled: boolean): "bar" | "lines" | "off" {
  if (!enabled) return "off";
  return stream.isTTY ? "bar" : "lines";
}

export class ProgressReporter {
  private timer: NodeJS.Timeout | undefined;
  private lastLineAt = 0;
  private lastStep = 0;
  private lastBar = "";
  private readonly now: () => number;
  private readonly view: ProgressView;

  constructor(private readonly options: ProgressReporterOptions) {
    this.now = options.now ?? Date.now;
    const snapshot = options.snapshot;
    if (!options.view && !snapshot) throw new Error("ProgressReporter needs a snapshot or a view");
    this.view = options.view ?? snapshotView(snapshot as () => ProgressSnapshot);
  }

  start(): void {
    if (this.options.mode === "off" || this.timer) return;
    this.lastLineAt = this.now();
    const every = this.options.mode === "bar" ? (this.options.barIntervalMs ?? 200) : 1000;
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
    if (this.options.mode === "bar") this.tick();
  }

  /** One redraw or line (called by the timer; exposed for tests). */
  tick(): void {
    if (this.options.mode === "bar") {
      const bar = this.view.bar(Math.max(40, (this.options.stream.columns || 100) - 1));
      if (bar === this.lastBar) return;
      // Pad to erase the tail of a longer previous line.
      const pad = this.lastBar.length > bar.length ? " ".repeat(this.lastBar.length - bar.length) : "";
      this.options.stream.write(`\r${bar}${pad}`);
      this.lastBar = bar;
      return;
    }
    if (this.options.mode === "lines") {
      const t = this.now();
      const step = Math.floor(this.view.fraction() * 20);
      const due = t - this.lastLineAt >= (this.options.lineIntervalMs ?? 10_000);
      if (due || step > this.lastStep) {
        this.options.stream.write(`${this.view.line()}\n`);
        this.lastLineAt = t;
        this.lastStep = step;
      }
    }
  }

  /** Stop the timer and leave the terminal on a fresh line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.options.mode === "bar") {
      // Leave the final figures on screen, then a newline for the summary.
      this.tick();
      if (this.lastBar !== "") this.options.stream.write("\n");
      this.lastBar = "";
    }
  }

  /** Print a message above the bar without tearing it. */
  message(text: string): void {
    if (this.options.mode === "bar" && this.lastBar !== "") {
      this.options.stream.write(`\r${" ".repeat(this.lastBar.length)}\r${text}\n`);
      this.lastBar = "";
      return;
    }
    this.options.stream.write(`${text}\n`);
  }
}
