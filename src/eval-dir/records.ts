/**
 * The eval directory's records (src/eval-dir/layout.ts): each file's zod schema, and typed readers and
 * appenders. samples.jsonl and results.jsonl are append-only, one whole line per record, keyed by
 * (task id, sample index): a killed run leaves at most a torn last line, which the next open cuts off,
 * and a rerun skips every key already there, so nothing is done or written twice.
 */
import { z } from "zod";
import { EvalResultSchema, EvalSummarySchema } from "../eval/records.js";
import { runFileExists } from "../run-dir/records.js";
import { JsonlAppender, readJsonl, writeFileAtomic } from "../util/jsonl.js";
import { parseJson } from "../util/parse-json.js";
import { readTextIfExists } from "../util/read-text.js";
import { evalPath } from "./layout.js";

/** What the sanitiser took from a reply and why (src/eval/sanitize.ts's Extraction). */
export const extractionSchema = z.object({
  from: z.string(),
  blocks: z.number().int(),
  kept: z.array(z.string()),
  dropped: z.array(z.string()),
  notes: z.array(z.string()),
});

/**
 * One line of samples.jsonl: evalplus's samples format (`task_id`, `solution`: what
 * `evalplus.evaluate --samples` reads; it ignores the other fields), the sample's number within its
 * task, and for generated samples the model's reply, what was extracted from it, and its cost.
 */
export const sampleLineSchema = z.object({
  task_id: z.string().min(1),
  index: z.number().int().min(0),
  solution: z.string(),
  reply: z.string().optional(),
  extraction: extractionSchema.optional(),
  finish_reason: z.string().nullable().optional(),
  prompt_tokens: z.number().int().min(0).optional(),
  completion_tokens: z.number().int().min(0).optional(),
  seconds: z.number().min(0).optional(),
});
export type SampleLine = z.infer<typeof sampleLineSchema>;

/** summary.json: EvalSummary (src/eval/records.ts) and how the run that wrote it was made. */
export const evalRunSummarySchema = EvalSummarySchema.extend({
  run: z
    .object({
      source: z.enum(["model", "samples"]),
      model: z.string().nullable(),
      n: z.number().int().nullable(),
      temperature: z.number().nullable(),
      instruction: z.string().nullable(),
      /** Every selected sample was generated and evaluated. */
      complete: z.boolean(),
      /** Selected (task, index) pairs without a sample (their generation failed). */
      missing_samples: z.number().int(),
      started_at: z.string(),
      finished_at: z.string(),
      seconds: z.number(),
      generation: z
        .object({
          generated: z.number().int(),
          failed: z.number().int(),
          prompt_tokens: z.number().int(),
          completion_tokens: z.number().int(),
          extracted_from: z.record(z.string(), z.number().int()),
        })
        .nullable(),
    })
    .optional(),
});
export type EvalRunSummary = z.infer<typeof evalRunSummarySchema>;

/** The key of a sample in both record files. */
export function sampleKey(taskId: string, index: number): string {
  return `${taskId}\u0000${index}`;
}

/** A record file's records by key, the first of each key kept (a later repeat is counted, not used). */
export interface Keyed<T> {
  records: Map<string, T>;
  repeated: number;
}

async function readKeyed<T extends { task_id: string; index: number }>(
  file: string,
  schema: z.ZodType<T>,
): Promise<Keyed<T>> {
  const records = new Map<string, T>();
  let repeated = 0;
  if (!(await runFileExists(file))) return { records, repeated };
  for await (const { value } of readJsonl(file, schema, { tolerateTornTail: true })) {
    const key = sampleKey(value.task_id, value.index);
    if (records.has(key)) repeated++;
    else records.set(key, value);
  }
  return { records, repeated };
}

export function readSampleLines(dir: string): Promise<Keyed<SampleLine>> {
  return readKeyed(evalPath(dir, "samples"), sampleLineSchema);
}

export function readResults(dir: string): Promise<Keyed<z.infer<typeof EvalResultSchema>>> {
  return readKeyed(evalPath(dir, "results"), EvalResultSchema);
}

/** Appends to samples.jsonl or results.jsonl (whole lines; a torn tail is cut first). */
export function openEvalAppender(dir: string, file: "samples" | "results"): Promise<JsonlAppender> {
  return JsonlAppender.open(evalPath(dir, file));
}

export type SummaryRead =
  | { status: "missing"; file: string }
  | { status: "invalid"; file: string; error: string }
  | { status: "ok"; file: string; summary: EvalRunSummary };

/** `<dir>/summary.json`, read and checked. */
export async function readEvalSummary(dir: string): Promise<SummaryRead> {
  const file = evalPath(dir, "summary");
  const text = await readTextIfExists(file);
  if (text === undefined) return { status: "missing", file };
  const json = parseJson(text);
  if (!json.ok) return { status: "invalid", file, error: `invalid JSON: ${json.error}` };
  const parsed = evalRunSummarySchema.safeParse(json.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { status: "invalid", file, error: `${issue?.path.join(".") || "summary"}: ${issue?.message}` };
  }
  return { status: "ok", file, summary: parsed.data };
}

/** Write a JSON file of the folder atomically (a reader never sees half of it). */
export async function writeEvalJson(dir: string, file: "config" | "summary", value: unknown): Promise<void> {
  await writeFileAtomic(evalPath(dir, file), `${JSON.stringify(value, null, 2)}\n`);
}
