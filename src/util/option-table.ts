/**
 * Option tables: a command's settings as one table, a row per setting: its schema (with its default
 * when it has one), its flag and its help. Everything else is derived from the table, so a setting is
 * stated once: the schema of the resolved config and of a partial settings layer (a --config file,
 * the flags), the default values, the map from a setting's path back to the flag that sets it, and
 * (src/cli/options.ts) the commander options with their defaults in the help.
 *
 * A table is a nested object whose keys are the config's keys, in the order the config is written;
 * a leaf is a row (made with `option()`). Types come from the schemas: `z.infer` of tableSchema(...).
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";

export interface OptionRow<T = unknown> {
  /** The setting's schema; `.default(x)` makes x its default (a row without one must be set by a layer). */
  schema: z.ZodType<T>;
  /** The commander flag that sets it ("--concurrency <n>", "--guided", "--no-adaptive"); none: config only. */
  flag?: string;
  /** What the flag does, without its default (added from the schema). */
  help?: string;
  /**
   * How --help states the default: a function of the default value, or a text for a default that is
   * not a value of the row (e.g. "the preset's"). Without it: the value itself, null as "none".
   */
  showDefault?: string | ((value: T) => string);
  /** The flag's text to a value (range checks happen on the merged config). Default: from the schema. */
  parse?: (text: string) => unknown;
  /** Other settings the flag sets to the same value (--temperature: search and code). */
  alsoSets?: readonly string[];
  /**
   * A boolean flag's `--no-` twin, with its help (--guided and --no-guided): for a default that
   * is on in some cases and off in others, so either can be asked for.
   */
  negatable?: string;
}

export interface OptionTable {
  // biome-ignore lint/suspicious/noExplicitAny: rows of any value type (showDefault takes the row's own type, so unknown would not do)
  readonly [key: string]: OptionRow<any> | OptionTable;
}

/** A row; the helper only lets TypeScript infer T from the schema. */
export function option<T>(row: OptionRow<T>): OptionRow<T> {
  return row;
}

export function isRow(v: OptionRow<unknown> | OptionTable): v is OptionRow<unknown> {
  return (v as { schema?: unknown }).schema instanceof z.ZodType;
}

/** A table's schema types: a row's value type, and nested objects for sub-tables. */
export type TableShape<T extends OptionTable> = {
  -readonly [K in keyof T]: T[K] extends OptionRow<infer V>
    ? z.ZodType<V>
    : T[K] extends OptionTable
      ? z.ZodObject<TableShape<T[K]>>
      : never;
};

/** The same, every key optional at every level (a settings layer). */
export type PartialTableShape<T extends OptionTable> = {
  -readonly [K in keyof T]: T[K] extends OptionRow<infer V>
    ? z.ZodOptional<z.ZodType<V>>
    : T[K] extends OptionTable
      ? z.ZodOptional<z.ZodObject<PartialTableShape<T[K]>>>
      : never;
};

export interface TableEntry {
  /** The dotted path of the setting ("server.retry.maxAttempts"). */
  path: string;
  row: OptionRow<unknown>;
}

/** Every row with its path, depth first in the table's order. */
export function tableEntries(table: OptionTable, prefix = ""): TableEntry[] {
  return Object.entries(table).flatMap(([key, v]) =>
    isRow(v) ? [{ path: `${prefix}${key}`, row: v }] : tableEntries(v, `${prefix}${key}.`),
  );
}

/** A row's schema without its default: the merged config must hold every value, a layer only its own. */
function bare(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodDefault ? (schema.removeDefault() as z.ZodType) : schema;
}

/** The default of a row, when it has one. */
export function rowDefault(row: OptionRow<unknown>): { value: unknown } | undefined {
  if (!(row.schema instanceof z.ZodDefault)) return undefined;
  const parsed = row.schema.safeParse(undefined);
  return parsed.success ? { value: parsed.data } : undefined;
}

/** The schema of a complete config section: every key required, unknown keys refused. */
export function tableSchema<T extends OptionTable>(table: T): z.ZodObject<TableShape<T>> {
  const shape = Object.fromEntries(
    Object.entries(table).map(([key, v]) => [key, isRow(v) ? bare(v.schema) : tableSchema(v)]),
  );
  return z.object(shape).strict() as unknown as z.ZodObject<TableShape<T>>;
}

/** The schema of a settings layer: every key optional at every level, unknown keys refused. */
export function partialTableSchema<T extends OptionTable>(table: T): z.ZodObject<PartialTableShape<T>> {
  const shape = Object.fromEntries(
    Object.entries(table).map(([key, v]) => [
      key,
      (isRow(v) ? bare(v.schema) : partialTableSchema(v)).optional(),
    ]),
  );
  return z.object(shape).strict() as unknown as z.ZodObject<PartialTableShape<T>>;
}

/** The defaults of a table, nested like it (rows without a default are left out). */
export function tableDefaults(table: OptionTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(table)) {
    if (isRow(v)) {
      const d = rowDefault(v);
      if (d) out[key] = d.value;
    } else {
      out[key] = tableDefaults(v);
    }
  }
  return out;
}

/** The flag itself, without its argument: "--concurrency <n>" -> "--concurrency". */
export function flagName(flag: string): string {
  return flag.split(/[ ,]/)[0] as string;
}

/** Setting path -> the flag that sets it, for errors that name what the user typed. */
export function flagsByPath(entries: readonly TableEntry[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { path, row } of entries) {
    if (row.flag === undefined) continue;
    for (const p of [path, ...(row.alsoSets ?? [])]) out[p] = flagName(row.flag);
  }
  return out;
}

/** How --help states a row's default, given the default value in force (undefined: nothing to say). */
export function defaultText(row: OptionRow<unknown>, value: unknown): string | undefined {
  if (typeof row.showDefault === "string") return row.showDefault;
  if (value === undefined) return undefined;
  if (row.showDefault) return row.showDefault(value);
  if (value === null) return "none";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** The value at a dotted path (arrays by index). */
export function valueAt(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const key of dotted.split(".")) {
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (typeof cur === "object" && cur !== null) cur = (cur as Record<string, unknown>)[key];
    else return undefined;
  }
  return cur;
}

/** Set a value at a dotted path, creating the objects on the way. */
export function setAt(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let cur = obj;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[keys.at(-1) as string] = value;
}

/** Defaults read from a file: values nested like the table, and how to name where a key was written. */
export interface DefaultsSource {
  values: Record<string, unknown>;
  /** The place of one dotted key, for errors ("line 12: generate.concurrency"). */
  where(key: string): string;
  file: string;
}

/** Every leaf of a nested value, with its dotted path (arrays and null are leaves). */
function leafPaths(obj: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? leafPaths(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`],
  );
}

/** `schema` with `value` as its default, after checking that the value is one the schema accepts. */
function withCheckedDefault(schema: z.ZodType, value: unknown, where: string, issues: string[]): z.ZodType {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    issues.push(`${where}: ${parsed.error.issues[0]?.message ?? "invalid value"}`);
    return schema;
  }
  // biome-ignore lint/suspicious/noExplicitAny: the value was just checked against this very schema
  return (schema as z.ZodType<any>).default(parsed.data);
}

function throwIssues(issues: string[], file: string): void {
  if (issues.length > 0) throw new ConfigError(issues, file);
}

/**
 * A table whose rows take their defaults from `source` (rows the source does not name keep none).
 * A key of the source that is no row, a value the row's schema refuses, or a row that already has a
 * default in code are errors: each default is stated in exactly one place.
 */
export function tableWithDefaults<T extends OptionTable>(table: T, source: DefaultsSource, prefix = ""): T {
  const issues: string[] = [];
  const paths = new Set(tableEntries(table).map((e) => e.path));
  for (const key of leafPaths(source.values)) {
    if (!paths.has(key)) issues.push(`${source.where(key)}: no such setting`);
  }
  const apply = (t: OptionTable, at: string): OptionTable =>
    Object.fromEntries(
      Object.entries(t).map(([key, v]) => {
        const dotted = `${at}${key}`;
        if (!isRow(v)) return [key, apply(v, `${dotted}.`)];
        const value = valueAt(source.values, dotted);
        if (value === undefined) return [key, v];
        if (v.schema instanceof z.ZodDefault) {
          issues.push(`${source.where(dotted)}: the default is also stated in code`);
          return [key, v];
        }
        return [key, { ...v, schema: withCheckedDefault(v.schema, value, source.where(dotted), issues) }];
      }),
    );
  const out = apply(table, prefix) as T;
  throwIssues(issues, source.file);
  return out;
}

/**
 * An object schema's shape with every key's default from `source` (a search's parameters): every key
 * must have one, and the source may name no other.
 */
export function shapeWithDefaults<S extends Record<string, z.ZodType>>(
  shape: S,
  source: DefaultsSource,
): { [K in keyof S]: z.ZodDefault<S[K]> } {
  const issues: string[] = [];
  for (const key of Object.keys(source.values)) {
    if (!(key in shape)) issues.push(`${source.where(key)}: no such parameter`);
  }
  const out: Record<string, z.ZodType> = {};
  for (const [key, schema] of Object.entries(shape)) {
    const value = source.values[key];
    if (value === undefined) {
      issues.push(`${source.where(key)}: missing (every parameter needs its default here)`);
      out[key] = schema;
    } else {
      out[key] = withCheckedDefault(schema, value, source.where(key), issues);
    }
  }
  throwIssues(issues, source.file);
  return out as { [K in keyof S]: z.ZodDefault<S[K]> };
}
