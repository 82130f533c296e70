/**
 * The run directory's records: each record file with its zod schema, typed readers and appenders,
 * and the id-level readers resume and merge need. Resume keeps only ids (a Set of short strings),
 * never records: a 10,000-problem run's trees can weigh hundreds of MB.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { z } from "zod";
import { InputError, OutputError } from "../errors.js";
import { failureSchema, planRecordSchema, sampleSchema, treeRecordSchema } from "../types.js";
import { JsonlAppender, type JsonlLine, openLineWriter, readJsonl, readLines } from "../util/jsonl.js";
import { parseJson } from "../util/parse-json.js";
import type { RECORD_FILES } from "./layout.js";
import { runPath } from "./layout.js";

/** The schema of each record file. */
export const RECORD_SCHEMAS = {
  trees: treeRecordSchema,
  plans: planRecordSchema,
  samples: sampleSchema,
  failures: failureSchema,
} as const satisfies Record<(typeof RECORD_FILES)[number], z.ZodType>;

export type RecordKind = keyof typeof RECORD_SCHEMAS;
export type RunRecord<K extends RecordKind> = z.infer<(typeof RECORD_SCHEMAS)[K]>;

/**
 * Whether a run file is there: false when it does not exist; any other failure (no permission) is an
 * InputError naming the file, since a run file that cannot be read must not pass for a missing one.
 */
export async function runFileExists(file: string): Promise<boolean> {
  try {
    await fsp.stat(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw new InputError(`cannot read: ${(e as Error).message}`, { file });
  }
}

/**
 * Stream the records of one kind (a missing file: none). A torn last line, left by a killed run, is
 * skipped. Any other unreadable line is an InputError naming file:line, or, with `skipInvalid`, is
 * passed over (for totals that must not stop a run at its very end).
 */
export async function* readRunRecords<K extends RecordKind>(
  dir: string,
  kind: K,
  options: { skipInvalid?: boolean } = {},
): AsyncGenerator<JsonlLine<RunRecord<K>>> {
  const file = runPath(dir, kind);
  if (!(await runFileExists(file))) return;
  const schema = RECORD_SCHEMAS[kind] as unknown as z.ZodType<RunRecord<K>>;
  if (!options.skipInvalid) {
    yield* readJsonl(file, schema, { tolerateTornTail: true });
    return;
  }
  for await (const { line, text } of readLines(file)) {
    if (text.trim() === "") continue;
    const json = parseJson(text);
    const parsed = json.ok ? schema.safeParse(json.value) : undefined;
    if (parsed?.success) yield { line, text, value: parsed.data };
  }
}

/** Appends records of one kind to a run directory's file (whole lines; a torn tail is cut first). */
export interface RecordAppender<K extends RecordKind> {
  append(record: RunRecord<K>): Promise<void>;
  close(): Promise<void>;
}

export async function openRecordAppender<K extends RecordKind>(
  dir: string,
  kind: K,
): Promise<RecordAppender<K>> {
  return JsonlAppender.open(runPath(dir, kind));
}

/** Whether a file is there and accessible (any failure: false). */
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
 * Every non-blank line of a run file with its id (missing file: nothing). A torn last line (a crash's
 * leftover) is skipped; any other line without a string id is an InputError naming file:line, because
 * a silently skipped line would be redone and duplicated.
 */
export async function* idLines(
  file: string,
  options: { hint?: string } = {},
): AsyncGenerator<{ id: string; text: string }> {
  if (!(await fileExists(file))) return;
  for await (const { line, text, last } of readLines(file)) {
    if (text.trim() === "") continue;
    const id = lineId(text, { whole: last });
    if (id === undefined) {
      if (last) return;
      throw new InputError("not a JSON record with a string id", { file, line }, options);
    }
    yield { id, text };
  }
}

/** Every id in a run file, for resume (see idLines). */
export async function readIds(file: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const { id } of idLines(file, {
    hint: "this run file was edited or damaged; fix or remove that line, then rerun",
  })) {
    ids.add(id);
  }
  return ids;
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
    const out = openLineWriter(tmp);
    for await (const { text, last } of readLines(file)) {
      if (text.trim() === "") continue;
      const id = lineId(text, { whole: last });
      if (id === undefined && last) {
        dropped++;
        continue;
      }
      if (keep(id)) await out.write(text);
      else dropped++;
    }
    await out.close();
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
