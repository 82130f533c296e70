/**
 * Layered settings, for any command with an option table (src/util/option-table.ts): a settings file
 * read and checked against the table's layer schema, layers merged (defaults < ... < flags), and a
 * merged config's zod issues told back in the words the user typed: `--c -1: too small` when the
 * value came from a flag, `search.c (--c): too small` when it may have come from a file.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ConfigError, cannotReadError, UsageError } from "../errors.js";
import { valueAt } from "./option-table.js";
import { parseJson } from "./parse-json.js";
import { formatZodIssues } from "./zod-issues.js";

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Merge layers left to right: objects recursively, anything else replaced; undefined never overrides. */
export function mergeLayers(...layers: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!isPlainObject(layer)) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const prev = out[key];
      out[key] = isPlainObject(value) && isPlainObject(prev) ? mergeLayers(prev, value) : value;
    }
  }
  return out;
}

/** The flag for a config path; array elements (`server.baseUrls.0`) belong to their array's flag. */
function flagForPath(where: string, flagFor: Readonly<Record<string, string>>): string | undefined {
  return flagFor[where] ?? flagFor[where.replace(/(\.\d+)+$/, "")];
}

/** `path: message` lines, with the flag that sets the path where there is one. */
export function describeIssues(error: z.ZodError, flagFor: Readonly<Record<string, string>>): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.map(String).join(".");
    const flag = flagForPath(where, flagFor);
    const line = formatZodIssues(new z.ZodError([issue]))[0] ?? `${where}: ${issue.message}`;
    return flag ? line.replace(/^([^:]*):/, `$1 (${flag}):`) : line;
  });
}

/**
 * The error for an invalid merged config. When every issue is about a value typed as a flag, one
 * UsageError line per flag (`--c -1: too small: expected number to be >=0`); otherwise a ConfigError
 * with `path (--flag): message` lines (the value may come from a settings file).
 */
export function layersIssuesError(
  error: z.ZodError,
  flags: unknown,
  flagFor: Readonly<Record<string, string>>,
): ConfigError | UsageError {
  const fromFlags = error.issues.map((issue) => {
    const where = issue.path.map(String).join(".");
    const flag = flagForPath(where, flagFor);
    const value = valueAt(flags, where);
    if (!flag || value === undefined) return undefined;
    const message = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
    const shown = typeof value === "object" ? JSON.stringify(value) : String(value);
    return `${flag} ${shown}: ${message}`;
  });
  if (fromFlags.every((l) => l !== undefined)) return new UsageError([...new Set(fromFlags)].join("; "));
  return new ConfigError(describeIssues(error, flagFor));
}

/** Read a settings file and check it against a layer schema; errors name the file (and the line). */
export async function readSettingsFile<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw cannotReadError(e, "config file", { file });
  }
  const json = parseJson(text);
  if (!json.ok) {
    // Name the line, as for problem files (JSON.parse only says "at position N").
    const pos = /position (\d+)/.exec(json.error);
    const line = pos ? text.slice(0, Number(pos[1])).split("\n").length : undefined;
    throw new ConfigError([`invalid JSON: ${json.error}`], line === undefined ? file : `${file}:${line}`);
  }
  const parsed = schema.safeParse(json.value);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, {}), file);
  return parsed.data;
}
