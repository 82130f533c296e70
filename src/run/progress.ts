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
  finished: number;
  fraction: number;
  /** Completion tokens per second. */
  tokensPerSecond: number;
  /** Estimated milliseconds left, undefined until something finished. */
  etaMs: number | undefined;
}

export function progressNumbers(s: ProgressSnapshot): ProgressNumbers {
  const finished = s.done + s.failed;
  const fraction = s.total > 0 ? Math.min(1, finished / s.total) : 1;
  const seconds = s.elapsedMs / 1000;
  const tokensPerSecond = seconds > 0 ? s.completionTokens / seconds : 0;
  const etaMs =
    finished > 0 && s.total > finished
      ? (s.elapsedMs / finished) * (s.total - finished)
      : finished > 0
        ? 0
        : undefined;
  return { finished, fraction, tokensPerSecond, etaMs };
}

/** The TTY bar, cut to `columns` characters. */
export function formatProgressBar(s: ProgressSnapshot, columns = 100): string {
  const n = progressNumbers(s);
  const width = 20;
  const filled = Math.round(n.fraction * width);
  const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
  const parts = [
    `${bar} ${n.finished}/${s.total} ${Math.floor(n.fraction * 100)}%`,
    s.failed > 0 ? `${s.failed} failed` : "",
    `${formatCount(s.calls)} calls`,
    `${formatCount(n.tokensPerSecond)} tok/s`,
    `in flight ${s.inFlight}/${s.cap}`,
    `${formatDuration(s.elapsedMs)}`,
    s.waitingForServer
      ? "WAITING FOR SERVER"
      : `ETA ${n.etaMs === undefined ? "?" : formatDuration(n.etaMs)}`,
  ].filter((p) => p !== "");
  const line = parts.join(" | ");
  return line.length > columns ? line.slice(0, Math.max(0, columns - 1)) : line;
}

/** The plain line for logs and CI (no control characters). */
export function formatProgressLine(s: ProgressSnapshot): string {
  const n = progressNumbers(s);
  return (
    `progress: ${n.finished}/${s.total} (${Math.floor(n.fraction * 100)}%), ${s.failed} failed, ` +
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
    fraction: () => {
      const s = snapshot();
      return s.total > 0 ? (s.done + s.failed) / s.total : 0;
    },
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
