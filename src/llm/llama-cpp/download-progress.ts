/**
 * A model download's progress on stderr, for any command that opens the in-process engine. On a
 * terminal one line rewritten in place (at most 4 times a second); elsewhere (a log, CI) a line at
 * each 10% and at least every 10 s, so a long download shows it is alive without flooding the file.
 * The clock is injected.
 */
import { type DownloadProgress, formatDownloadProgress } from "./model-file.js";

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

const TTY_EVERY_MS = 250;
const PLAIN_EVERY_MS = 10_000;
const PLAIN_STEP_PCT = 10;

export interface DownloadProgressPrinter {
  /** The onProgress of resolveGguf / InProcessOptions.onDownloadProgress. */
  onProgress: (progress: DownloadProgress) => void;
  /** Ends a terminal line left open (a download that failed half way), so what follows starts clean. */
  end(): void;
}

/** A printer of a download's progress on `stream`. */
export function downloadProgressPrinter(
  stream: ProgressSink,
  now: () => number = Date.now,
): DownloadProgressPrinter {
  let lastAt = Number.NEGATIVE_INFINITY;
  let lastStep = -1;
  let open = false;
  let done = false;
  const onProgress = (p: DownloadProgress): void => {
    if (done) return;
    const finished = p.totalBytes > 0 && p.downloadedBytes >= p.totalBytes;
    const pct = p.totalBytes > 0 ? Math.floor((100 * p.downloadedBytes) / p.totalBytes) : 0;
    const step = Math.floor(pct / PLAIN_STEP_PCT);
    const t = now();
    const due = stream.isTTY ? t - lastAt >= TTY_EVERY_MS : step > lastStep || t - lastAt >= PLAIN_EVERY_MS;
    if (!due && !finished) return;
    lastAt = t;
    lastStep = step;
    done = finished;
    const line = `sra: downloading ${p.uri}: ${formatDownloadProgress(p)}`;
    if (!stream.isTTY) {
      stream.write(`${line}\n`);
      return;
    }
    stream.write(`\r${line}\u001b[K${finished ? "\n" : ""}`);
    open = !finished;
  };
  return {
    onProgress,
    end: () => {
      if (open) stream.write("\n");
      open = false;
    },
  };
}
