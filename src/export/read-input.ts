/**
 * What `--input` points at, and its records as export items, streamed:
 * - a run directory: its samples.jsonl (and config.json for the model; src/run-dir/ names both);
 * - a samples.jsonl file (a config.json beside it is used when there is one);
 * - a reference file of `{question, solution}` rows, JSON Lines (as published) or a JSON array.
 * The kind of a file is told from its first record, not from its name (the reference files are JSON
 * Lines named .json).
 */
import { readFile, stat } from "node:fs/promises";
import * as path from "node:path";
import { z } from "zod";
import { cannotReadError, InputError } from "../errors.js";
import type { SavedRunFacts } from "../run-dir/config-file.js";
import { runPath } from "../run-dir/layout.js";
import { readRunFacts } from "../run-dir/read-run.js";
import { RECORD_SCHEMAS, type RunRecord } from "../run-dir/records.js";
import { readJsonl, readLines } from "../util/jsonl.js";
import { parseJson } from "../util/parse-json.js";
import type { ExportItem } from "./content.js";
import { parseReferenceRow } from "./reference.js";

export type InputKind = "run" | "samples" | "reference";

/** What the run's config.json says about its model and strategy (see src/run-dir/config-file.ts). */
export type RunConfigInfo = SavedRunFacts & { file: string };

type Sample = RunRecord<"samples">;

export interface ExportInput {
  kind: InputKind;
  /** The file the records are read from. */
  file: string;
  /** The run's config.json fields, when there is one. */
  runConfig?: RunConfigInfo;
  /** The reference file is a JSON array rather than JSON Lines. */
  jsonArray?: boolean;
}

const referenceRowSchema = z.object({ question: z.string(), solution: z.string() });

/** The first non-blank line of a file (or undefined when there is none), without reading it all. */
async function firstRecordLine(file: string): Promise<{ line: number; text: string } | undefined> {
  for await (const { line, text } of readLines(file)) {
    if (text.trim() !== "") return { line, text };
  }
  return undefined;
}

export async function resolveInput(input: string): Promise<ExportInput> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(input);
  } catch (e) {
    throw cannotReadError(e, "input", { file: input });
  }
  if (info.isDirectory()) {
    const file = runPath(input, "samples");
    try {
      await stat(file);
    } catch {
      throw new InputError(
        "no samples.jsonl in this run directory",
        { file: input },
        {
          hint: "pass a run directory written by `sra generate`, a samples.jsonl file or a reference .json file",
        },
      );
    }
    return { kind: "run", file, ...(await runConfigOf(input)) };
  }
  const first = await firstRecordLine(input);
  if (first === undefined) throw new InputError("the input file is empty", { file: input });
  if (first.text.trimStart().startsWith("[")) return { kind: "reference", file: input, jsonArray: true };
  const parsed = parseJson(first.text);
  if (!parsed.ok) throw new InputError(`invalid JSON: ${parsed.error}`, { file: input, line: first.line });
  const record = parsed.value;
  if (record !== null && typeof record === "object" && !Array.isArray(record)) {
    const keys = record as Record<string, unknown>;
    if ("meta" in keys || "code" in keys) {
      return { kind: "samples", file: input, ...(await runConfigOf(path.dirname(input))) };
    }
    if ("solution" in keys && "question" in keys) return { kind: "reference", file: input };
  }
  throw new InputError(
    "not a samples file (records with question, plan, code, meta) nor a reference file (records with question, solution)",
    { file: input, line: first.line },
  );
}

/** `{ runConfig }` when the directory has a config.json, else nothing. */
async function runConfigOf(dir: string): Promise<{ runConfig?: RunConfigInfo }> {
  const runConfig = await readRunFacts(dir);
  return runConfig ? { runConfig } : {};
}

/** Each record of the input as an export item; samples also carry the Sample (for --format jsonl). */
export async function* readExportItems(
  input: ExportInput,
): AsyncGenerator<{ item: ExportItem; sample?: Sample }> {
  if (input.kind !== "reference") {
    for await (const { value } of readJsonl(input.file, RECORD_SCHEMAS.samples, { tolerateTornTail: true })) {
      yield {
        item: {
          id: value.id,
          question: value.question,
          steps: value.steps,
          plan: value.plan,
          code: value.code,
        },
        sample: value,
      };
    }
    return;
  }
  const stem = path.basename(input.file).replace(/\.[^.]*$/, "");
  for await (const { line, row } of readReferenceRows(input)) {
    const parsed = parseReferenceRow(row);
    yield {
      item: {
        id: `${stem}:${line}`,
        question: parsed.question,
        steps: parsed.steps,
        plan: "",
        code: parsed.code,
        verbatim: parsed.answer,
      },
    };
  }
}

async function* readReferenceRows(
  input: ExportInput,
): AsyncGenerator<{ line: number; row: z.infer<typeof referenceRowSchema> }> {
  const check = (value: unknown, line: number) => {
    const result = referenceRowSchema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      const field = issue?.path.join(".") || undefined;
      throw new InputError(issue?.message ?? "invalid record", {
        file: input.file,
        line,
        ...(field ? { field } : {}),
      });
    }
    return result.data;
  };
  if (input.jsonArray) {
    // A JSON array has to be parsed whole; the row number stands in for a line number.
    const parsed = parseJson(await readFile(input.file, "utf8"));
    if (!parsed.ok) throw new InputError(`invalid JSON: ${parsed.error}`, { file: input.file });
    if (!Array.isArray(parsed.value))
      throw new InputError("expected a JSON array of rows", { file: input.file });
    let i = 0;
    for (const value of parsed.value) {
      i++;
      yield { line: i, row: check(value, i) };
    }
    return;
  }
  for await (const { line, text } of readLines(input.file)) {
    if (text.trim() === "") continue;
    const parsed = parseJson(text);
    if (!parsed.ok) throw new InputError(`invalid JSON: ${parsed.error}`, { file: input.file, line });
    yield { line, row: check(parsed.value, line) };
  }
}
