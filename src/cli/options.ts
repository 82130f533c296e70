/**
 * Flag value parsers for commander: each turns a string into a typed value or throws commander's
 * InvalidArgumentError naming the flag (exit 2, one line), so `sra decontaminate --ngram 0` says
 * exactly what is wrong. And the commander side of option tables (src/util/option-table.ts): a
 * table row as an Option with its default in the help, and the settings typed on the command line.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { z } from "zod";
import { UsageError } from "../errors.js";
import type { LogLevel } from "../util/logger.js";
import {
  defaultText,
  type OptionTable,
  setAt,
  type TableEntry,
  tableDefaults,
  tableEntries,
  valueAt,
} from "../util/option-table.js";

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

/** A number of any value: the range is checked with the merged config (one rule for flags and files). */
function numberArg(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) {
      throw new InvalidArgumentError(`${flag} must be a number (got "${value}")`);
    }
    return n;
  };
}

function intArg(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n)) {
      throw new InvalidArgumentError(`${flag} must be a whole number (got "${value}")`);
    }
    return n;
  };
}

/** A parser whose UsageError becomes commander's InvalidArgumentError (same exit code, one line). */
function viaUsage<T>(parse: (value: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (e) {
      if (e instanceof UsageError) throw new InvalidArgumentError(e.message + (e.hint ? ` (${e.hint})` : ""));
      throw e;
    }
  };
}

/** A value from a row's own parser, as commander keeps it. */
class Parsed {
  constructor(readonly value: unknown) {}
}

/** The schema under its default / nullable / optional wrappers: what the flag's text must become. */
function valueSchema(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodNullable || s instanceof z.ZodOptional) {
    s = s.unwrap() as z.ZodType;
  }
  return s;
}

/**
 * The commander Option of a table row. Its help ends in "(default: …)", stated from `defaults` (the
 * defaults in force, nested like the table); its text is parsed by the row's `parse`, else by the
 * schema's kind: a whole number, a number, one of an enum's choices, repeated text for an array.
 */
export function tableOption(entry: TableEntry, defaults: unknown): Option {
  const { path, row } = entry;
  if (row.flag === undefined) throw new Error(`${path} has no flag`);
  const shown = defaultText(row, valueAt(defaults, path));
  const option = new Option(
    row.flag,
    shown === undefined ? (row.help ?? "") : `${row.help} (default: ${shown})`,
  );
  const name = row.flag.split(" ")[0] as string;
  const inner = valueSchema(row.schema);
  // Boxed: commander turns a parser's null (--max-failures none) into "".
  if (row.parse)
    option.argParser(viaUsage((text) => new Parsed((row.parse as (t: string) => unknown)(text))));
  else if (inner instanceof z.ZodEnum) option.choices(inner.options.map(String));
  else if (inner instanceof z.ZodArray) option.argParser(repeatOption);
  else if (inner instanceof z.ZodNumber) option.argParser(inner.isInt ? intArg(name) : numberArg(name));
  return option;
}

/** The `--no-` twin of a negatable boolean row (--no-guided), or undefined for any other row. */
export function tableNegation(entry: TableEntry): Option | undefined {
  const { row } = entry;
  if (row.negatable === undefined || row.flag === undefined) return undefined;
  const name = row.flag.split(" ")[0] as string;
  return new Option(`--no-${name.replace(/^--/, "")}`, row.negatable);
}

/**
 * The settings typed on the command line: each table flag that was given, its value at its path
 * (and at the paths it also sets). A flag left out sets nothing, so the layers below it show through.
 */
export function tableSettings(command: Command, entries: readonly TableEntry[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { path, row } of entries) {
    if (row.flag === undefined) continue;
    const key = new Option(row.flag).attributeName();
    if (command.getOptionValueSource(key) !== "cli") continue;
    const given: unknown = command.getOptionValue(key);
    const value = given instanceof Parsed ? given.value : given;
    for (const p of [path, ...(row.alsoSets ?? [])]) setAt(out, p, value);
  }
  return out;
}

/**
 * Add a command's options in --help order: `order` lists the command's own options by flag and the
 * table's settings by path; a table row with a flag not listed comes after them (so a new row shows up
 * without an edit), then `trailing`. Returns the table's flagged entries, for tableSettings.
 */
export function addTableOptions(
  command: Command,
  table: OptionTable,
  layout: {
    order: readonly string[];
    own: Readonly<Record<string, () => Option>>;
    trailing: readonly string[];
  },
): TableEntry[] {
  const entries = tableEntries(table).filter((e) => e.row.flag !== undefined);
  const defaults = tableDefaults(table);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const unlisted = entries.filter((e) => !layout.order.includes(e.path)).map((e) => e.path);
  for (const key of [...layout.order, ...unlisted, ...layout.trailing]) {
    const own = layout.own[key];
    const entry = byPath.get(key);
    if (own) command.addOption(own());
    else if (entry) {
      command.addOption(tableOption(entry, defaults));
      const negation = tableNegation(entry);
      if (negation) command.addOption(negation);
    } else throw new Error(`${command.name()} --help: no option for ${key}`);
  }
  return entries;
}

/** What commander parses from a long-running command's own options (--out, --config and the two below). */
export interface RunCommandFlags {
  out?: string;
  config?: string;
  logLevel: LogLevel;
  progress: boolean;
}

/** The --log-level (of the command's log file) and --no-progress options of a long-running command. */
export function logAndProgressOptions(
  logFile: string,
): Record<"--log-level" | "--no-progress", () => Option> {
  return {
    "--log-level": () =>
      new Option("--log-level <level>", `${logFile} level: fatal, error, warn, info, debug, trace, silent`)
        .argParser(logLevelOption)
        .default("info"),
    "--no-progress": () =>
      new Option("--no-progress", "no progress bar or progress lines on stderr (default: shown)"),
  };
}
