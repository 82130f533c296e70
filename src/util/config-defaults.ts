/**
 * The default parameters of every command, read from `configs/defaults.yaml` (one file, a section per
 * command or module, each value with a comment that says where it comes from). The option tables and
 * the search's schema take their defaults from here, so a default is stated once, in a file a user can
 * read without reading the code, and --help shows what the file says.
 *
 * Read once per process, synchronously: the tables are built when their modules load (the command line
 * builds --help from them), and the file is a few kilobytes. A malformed file is a ConfigError naming the
 * file, the line and the key.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import type { DefaultsSource } from "./option-table.js";
import { packageRoot } from "./package-root.js";

/** Where the defaults live, relative to the package root (named in errors and in the README). */
export const DEFAULTS_FILE = path.join("configs", "defaults.yaml");

interface DefaultsFile {
  file: string;
  sections: Record<string, Record<string, unknown>>;
  /** 1-based line of each key ("search.c"), for errors. */
  lines: Map<string, number>;
}

let loaded: DefaultsFile | undefined;

/** Parse the defaults file's text (exported for tests: a malformed file's errors). */
export function parseDefaultsText(text: string, file: string): DefaultsFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new ConfigError([`line ${line}: ${first.message.split("\n")[0]}`], file);
  }
  const lines = new Map<string, number>();
  const walk = (node: unknown, prefix: string): void => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const dotted = `${prefix}${key}`;
      const range = (pair.key as { range?: [number, number, number] } | null)?.range;
      if (range) lines.set(dotted, lineCounter.linePos(range[0]).line);
      walk(pair.value, `${dotted}.`);
    }
  };
  walk(doc.contents, "");
  const value: unknown = doc.toJS();
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(["(root): expected a map of sections"], file);
  }
  for (const [name, section] of Object.entries(value)) {
    if (typeof section !== "object" || section === null || Array.isArray(section)) {
      throw new ConfigError([`line ${lines.get(name)}: ${name}: expected a map of defaults`], file);
    }
  }
  return { file, sections: value as DefaultsFile["sections"], lines };
}

function defaultsFile(): DefaultsFile {
  if (loaded) return loaded;
  const file = path.join(packageRoot(), DEFAULTS_FILE);
  loaded = parseDefaultsText(readFileSync(file, "utf8"), file);
  return loaded;
}

export function sectionFrom(parsed: DefaultsFile, name: string): DefaultsSource {
  const values = parsed.sections[name];
  if (!values) throw new ConfigError([`${name}: missing section`], parsed.file);
  return {
    values,
    file: parsed.file,
    where: (key) => {
      const line = parsed.lines.get(`${name}.${key}`);
      return line === undefined ? `${name}.${key}` : `line ${line}: ${name}.${key}`;
    },
  };
}

/** A section of configs/defaults.yaml ("search", "generate", ...). */
export function readDefaults(name: string): DefaultsSource {
  return sectionFrom(defaultsFile(), name);
}

/**
 * A section read through a schema, for defaults that are constants of the code rather than rows of a
 * table (the in-process engine's overrides): every issue names the file, the line and the key.
 */
export function readDefaultsAs<T>(name: string, schema: z.ZodType<T>): T {
  const section = readDefaults(name);
  const parsed = schema.safeParse(section.values);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((i) => `${section.where(i.path.map(String).join("."))}: ${i.message}`),
    section.file,
  );
}
