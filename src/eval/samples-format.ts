/**
 * evalplus's samples format (pure), read and written so either tool reads the other's files: one JSON
 * object per line with `task_id` and either `solution` (the whole program) or `completion` (appended
 * to the task's prompt, as evalplus/evaluate.py does). A task's samples are numbered in file order.
 */
import { InputError } from "../errors.js";
import { parseJson } from "../util/parse-json.js";
import type { EvalSample } from "./evaluate.js";

export interface SampleLine {
  task_id: string;
  solution: string;
  /** Our addition (evalplus ignores unknown fields): the sample's number within its task. */
  index?: number;
}

/**
 * The samples of a samples.jsonl text; `promptOf` gives a task's prompt for `completion` lines. With
 * `keep`, lines of other tasks are skipped (a file holding several benchmarks' samples, read for one).
 */
export function parseSamples(
  text: string,
  file: string,
  promptOf: (taskId: string) => string | undefined,
  options: { keep?: (taskId: string) => boolean } = {},
): EvalSample[] {
  const samples: EvalSample[] = [];
  const next = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    const at = { file, line: i + 1 };
    const parsed = parseJson(line);
    if (!parsed.ok) throw new InputError(`invalid JSON: ${parsed.error}`, at);
    const r = parsed.value as Record<string, unknown> | null;
    if (typeof r !== "object" || r === null || Array.isArray(r))
      throw new InputError("expected a JSON object", at);
    if (typeof r.task_id !== "string" || r.task_id === "") {
      throw new InputError("missing or not a string", { ...at, field: "task_id" });
    }
    if (options.keep && !options.keep(r.task_id)) continue;
    let solution: string;
    if (typeof r.solution === "string") solution = r.solution;
    else if (typeof r.completion === "string") {
      const prompt = promptOf(r.task_id);
      if (prompt === undefined)
        throw new InputError(`unknown task "${r.task_id}" for a completion`, { ...at, field: "task_id" });
      solution = prompt + r.completion;
    } else {
      throw new InputError(
        'needs "solution" (the whole program) or "completion" (appended to the prompt)',
        at,
      );
    }
    const index = next.get(r.task_id) ?? 0;
    next.set(r.task_id, index + 1);
    samples.push({ taskId: r.task_id, index, solution });
  }
  return samples;
}

/** One line of our samples.jsonl, in evalplus's format (with our `index`). */
export function formatSample(sample: EvalSample): string {
  const line: SampleLine = { task_id: sample.taskId, solution: sample.solution, index: sample.index };
  return JSON.stringify(line);
}
