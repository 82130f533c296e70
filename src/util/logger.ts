/**
 * pino loggers. Commands log structured lines to stderr (level from --log-level) or to a file in the
 * run directory; secrets are redacted by path, and API keys are never put in log objects at all.
 */
import { destination, type Logger, pino } from "pino";

export type { Logger } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const REDACT = [
  "apiKey",
  "*.apiKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "headers.Authorization",
  "*.headers.Authorization",
  "req.headers.authorization",
];

/** Every occurrence of each secret (4+ characters, JSON-escaped as it appears in a line) censored. */
export function censorSecrets(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    // In a JSON line the secret appears escaped (quotes, backslashes, control characters).
    const escaped = JSON.stringify(secret).slice(1, -1);
    out = out.split(escaped).join("[redacted]");
    if (escaped !== secret) out = out.split(secret).join("[redacted]");
  }
  return out;
}

/**
 * A logger to a file (created, appended to) or to stderr when no file is given. Fields named like
 * secrets (authorization headers, apiKey) are redacted by path; `secrets` are also censored by value,
 * wherever they appear in a line (e.g. in an error message that quotes a header).
 */
export function createLogger(options: {
  level: LogLevel;
  file?: string;
  name?: string;
  secrets?: readonly string[];
}): Logger {
  const dest = tolerant(
    options.file
      ? destination({ dest: options.file, mkdir: true, append: true, sync: true })
      : destination({ dest: 2, sync: true }),
  );
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  return pino(
    {
      level: options.level,
      name: options.name ?? "sra",
      redact: { paths: REDACT, censor: "[redacted]" },
      base: { pid: process.pid },
      ...(secrets.length > 0
        ? { hooks: { streamWrite: (line: string) => censorSecrets(line, secrets) } }
        : {}),
    },
    dest,
  );
}

/**
 * The log's stream, made unable to throw: a line that cannot be written (the disk the run filled up) is
 * dropped, and so is the rest of the log, rather than an ENOSPC from a log call replacing the error
 * the run is reporting, or stopping a run that could still write its records.
 */
function tolerant(dest: ReturnType<typeof destination>): { write(line: string): void; flushSync(): void } {
  let broken = false;
  return {
    write(line) {
      if (broken) return;
      try {
        dest.write(line);
      } catch {
        broken = true;
      }
    },
    flushSync() {
      if (broken) return;
      try {
        dest.flushSync();
      } catch {
        broken = true;
      }
    },
  };
}

/** A logger that drops everything: for library use and tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
