/**
 * The run directory's file names and the streaming readers resume needs. Resume keeps only ids (a
 * Set of short strings), never records: a 10,000-problem run's trees can weigh hundreds of MB.
 */
import { createWriteStream } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { z } from "zod";
import { InputError, OutputError } from "../errors.js";
import { type JsonlLine, readJsonl, readLines } from "../util/jsonl.js";
import { parseJson } from "../util/parse-json.js";

export const RUN_FILES = {
  config: "config.json",
  trees: "trees.jsonl",
  plans: "plans.jsonl",
  samples: "samples.jsonl",
  failures: "failures.jsonl",
  summary: "summary.json",
  log: "generate.log",
} as const;

export type RunFile = keyof typeof RUN_FILES;

export function runPath(dir: string, file: RunFile): string {
  return path.join(dir, RUN_FILES[file]);
}

export async function fileExists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}

// Records are written by JSON.stringify of objects whose first key is "id", so the id can be read
// from the start of the line without parsing a tree of several hundred KB.
const ID_PREFIX = /^\{"id":("(?:[^"\\]|\\.)*")/;

/**
 * The id of one JSONL line, or undefined when the line is not a JSON object with a string id.
 * `whole` parses the full line even when the id prefix matched: for a last line, which may be torn
 * after its id (a crash mid-write) and must then not count.
 */
export function lineId(text: string, options: { whole?: boolean } = {}): string | undefined {
  const m = options.whole ? null : ID_PREFIX.exec(text);
  if (m?.[1] !== undefined) {
    const parsed = parseJson(m[1]);
    if (parsed.ok && typeof parsed.value === "string") return parsed.value;
  }
  const full = parseJson(text);
  if (!full.ok || typeof full.value !== "object" || full.value === null) return undefined;
  const id = (full.value as { id?: unknown }).id;
  return typeof id === "string" ? id : undefined;
}

/**
 * Every id in a JSONL file (missing file: empty). A torn last line (a crash's leftover) is ignored;
 * any other unreadable line is an InputError naming file:line, because a silently skipped line
 * would be redone and duplicated.
 */
export async function readIds(file: string): Promise<Set<string>> {
  const ids = new Set<string>();
  if (!(await fileExists(file))) return ids;
  for await (const { line, text, last } of readLines(file)) {
    if (text.trim() === "") continue;
    const id = lineId(text, { whole: last });
    if (id === undefined) {
      if (last) break;
      throw new InputError(
        "not a JSON record with a string id",
        { file, line },
        {
          hint: "this run file was edited or damaged; fix or remove that line, then rerun",
        },
      );
    }
    ids.add(id);
  }
  return ids;
}

/** Stream records of a run file, tolerating a torn last line (missing file: nothing). */
export async function* readRecords<S extends z.ZodType>(
  file: string,
  schema: S,
): AsyncGenerator<JsonlLine<z.infer<S>>> {
  if (!(await fileExists(file))) return;
  yield* readJsonl(file, schema, { tolerateTornTail: true });
}

/**
 * Rewrite a JSONL file keeping only the lines `keep` accepts, atomically (temporary file, fsync,
 * rename), streaming so a large trees.jsonl never sits in memory. Returns how many lines were dropped.
 */
export async function filterJsonlFile(
  file: string,
  keep: (id: string | undefined) => boolean,
): Promise<number> {
  if (!(await fileExists(file))) return 0;
  // A read-only pass first: the usual case (nothing to drop) must not copy a large file.
  let toDrop = 0;
  for await (const { text, last } of readLines(file)) {
    if (text.trim() === "") continue;
    const id = lineId(text, { whole: last });
    if ((id === undefined && last) || !keep(id)) toDrop++;
  }
  if (toDrop === 0) return 0;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.filter.tmp`);
  let dropped = 0;
  try {
    const out = createWriteStream(tmp, { encoding: "utf8" });
    const write = (s: string): Promise<void> =>
      new Promise((resolve, reject) => {
        if (out.write(s)) resolve();
        else {
          out.once("drain", resolve);
          out.once("error", reject);
        }
      });
    for await (const { text, last } of readLines(file)) {
      if (text.trim() === "") continue;
      const id = lineId(text, { whole: last });
      if (id === undefined && last) {
        dropped++;
        continue;
      }
      if (keep(id)) await write(`${text}\n`);
      else dropped++;
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    const handle = await fsp.open(tmp, "r+");
    await handle.sync();
    await handle.close();
    if (dropped === 0) {
      await fsp.rm(tmp, { force: true });
      return 0;
    }
    await fsp.rename(tmp, file);
    return dropped;
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    if (e instanceof InputError) throw e;
    throw new OutputError(`cannot rewrite ${file}: ${(e as Error).message}`, { cause: e });
  }
}
