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

/** A logger to a file (created, appended to) or to stderr when no file is given. */
export function createLogger(options: { level: LogLevel; file?: string; name?: string }): Logger {
  const dest = options.file
    ? destination({ dest: options.file, mkdir: true, append: true, sync: true })
    : destination({ dest: 2, sync: true });
  return pino(
    {
      level: options.level,
      name: options.name ?? "sra",
      redact: { paths: REDACT, censor: "[redacted]" },
      base: { pid: process.pid },
    },
    dest,
  );
}

/** A logger that drops everything: for library use and tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
