/**
 * `sra eval compare A B C [--markdown]`: the paper's Table 1 from several eval runs, one row per run
 * (the first is the baseline of the "average increment" column). Each argument is an eval --out
 * directory (its benchmark subfolders are read) or one benchmark's folder.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { cannotReadError, InputError } from "../errors.js";
import {
  type CompareTable,
  compareTable,
  formatCompareMarkdown,
  formatCompareText,
} from "../eval/compare-table.js";
import { type EvalRunSummary, readEvalSummary } from "../eval-dir/records.js";

export interface EvalCompareOptions {
  runs: string[];
  markdown?: boolean;
}

/** Every summary.json of one run: the directory's own, else those of its subfolders. */
export async function readRunSummaries(dir: string): Promise<EvalRunSummary[]> {
  const own = await readEvalSummary(dir);
  if (own.status === "invalid") throw new InputError(own.error, { file: own.file });
  if (own.status === "ok") return [own.summary];
  let entries: string[];
  try {
    entries = (await fsp.readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch (e) {
    throw cannotReadError(e, "eval directory", { file: dir });
  }
  const summaries: EvalRunSummary[] = [];
  for (const name of entries.sort()) {
    const read = await readEvalSummary(path.join(dir, name));
    if (read.status === "invalid") throw new InputError(read.error, { file: read.file });
    if (read.status === "ok") summaries.push(read.summary);
  }
  if (summaries.length === 0) {
    throw new InputError(
      "no summary.json here or in its subfolders",
      { file: dir },
      { hint: "pass the --out directory of an `sra eval` run (or one benchmark's folder of it)" },
    );
  }
  return summaries;
}

export async function runEvalCompare(
  options: EvalCompareOptions,
  io: { stdout: { write(text: string): unknown } },
): Promise<CompareTable> {
  const runs = await Promise.all(
    options.runs.map(async (dir) => ({ label: dir, summaries: await readRunSummaries(dir) })),
  );
  const table = compareTable(runs);
  io.stdout.write(`${options.markdown ? formatCompareMarkdown(table) : formatCompareText(table)}\n`);
  return table;
}
