/**
 * Flag value parsers for commander: each turns a string into a typed value or throws a UsageError
 * that names the flag, so `sra generate --c -1` says exactly what is wrong.
 */
import { InvalidArgumentError } from "commander";
import type { LogLevel } from "../util/logger.js";

export function intOption(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${flag} must be a whole number${max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` from ${min} to ${max}`} (got "${value}")`,
      );
    }
    return n;
  };
}

export function floatOption(
  flag: string,
  min: number,
  max: number,
  options: { exclusiveMin?: boolean } = {},
) {
  return (value: string): number => {
    const n = Number(value);
    const lowOk = options.exclusiveMin ? n > min : n >= min;
    if (value.trim() === "" || !Number.isFinite(n) || !lowOk || n > max) {
      const range = `${options.exclusiveMin ? "greater than" : "from"} ${min}${Number.isFinite(max) ? ` ${options.exclusiveMin ? "and at most" : "to"} ${max}` : ""}`;
      throw new InvalidArgumentError(`${flag} must be a number ${range} (got "${value}")`);
    }
    return n;
  };
}

export function choiceOption<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${flag} must be one of ${choices.join(", ")} (got "${value}")`);
    }
    return value as T;
  };
}

export function listOption(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return [...(previous ?? []), ...items];
}

export function repeatOption(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * util/logger.ts's LOG_LEVELS, in the same order, restated because importing the logger loads pino,
 * which parsing flags (and `sra --help`) does not need. Typed as a Record over LogLevel, so the build
 * fails when a level is added to or removed from the logger and not here.
 */
const LOG_LEVEL_KEYS: Record<LogLevel, null> = {
  fatal: null,
  error: null,
  warn: null,
  info: null,
  debug: null,
  trace: null,
  silent: null,
};

export const logLevelOption = choiceOption<LogLevel>(
  "--log-level",
  Object.keys(LOG_LEVEL_KEYS) as LogLevel[],
);
