/**
 * Stream a run directory into the RunStatsAccumulator, one record at a time (a torn last line, left
 * by a killed run, is skipped): everything, for `sra stats`, or the samples, plans and failures, for
 * the totals in generate's summary.json.
 */
import { stat } from "node:fs/promises";
import * as path from "node:path";
import { cannotReadError, InputError } from "../errors.js";
import { type RunStats, RunStatsAccumulator, type RunTotals } from "./accumulator.js";
import { readSavedConfig, type SavedRunFacts, savedRunFacts } from "./config-file.js";
import { MERGE_REPORT_FILE, RECORD_FILES, RUN_FILES, runPath } from "./layout.js";
import { readRunRecords, runFileExists } from "./records.js";

/**
 * The model and strategy `<dir>/config.json` names, or undefined when there is no config.json; a
 * file that is not JSON is an InputError.
 */
export async function readRunFacts(dir: string): Promise<(SavedRunFacts & { file: string }) | undefined> {
  const read = await readSavedConfig(dir);
  if (read.status === "missing") return undefined;
  if (read.status === "invalid" && read.reason === "json") {
    throw new InputError(`invalid JSON: ${read.error}`, { file: read.file });
  }
  return { file: read.file, ...(read.status === "ok" ? savedRunFacts(read.config) : {}) };
}

/** The statistics of one run directory. `label` names its column (default: the path as given). */
export async function collectRunStats(dir: string, label = dir): Promise<RunStats> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(dir);
  } catch (e) {
    throw cannotReadError(e, "run directory", { file: dir });
  }
  if (!info.isDirectory()) {
    throw new InputError(
      "not a directory",
      { file: dir },
      { hint: "pass the run directory that `sra generate` wrote" },
    );
  }
  const present = await Promise.all(RECORD_FILES.map((f) => runFileExists(runPath(dir, f))));
  if (!present.some(Boolean)) {
    const names = RECORD_FILES.map((f) => RUN_FILES[f]).join(", ");
    throw new InputError(`not a run directory: none of ${names} is there`, { file: dir });
  }
  const acc = new RunStatsAccumulator(label);
  const facts = await readRunFacts(dir);
  // The served name, as generate prints it; the preset beside it when --model named one.
  const preset = facts?.model !== undefined && facts.model !== facts.servedModel ? facts.model : undefined;
  acc.setConfig({ model: facts?.servedModel ?? facts?.model, preset, strategy: facts?.strategy });
  acc.setFinished(
    await runFileExists(runPath(dir, "summary")),
    await runFileExists(path.join(dir, MERGE_REPORT_FILE)),
  );
  for await (const { value } of readRunRecords(dir, "trees")) acc.addTree(value);
  for await (const { value } of readRunRecords(dir, "plans")) acc.addPlan(value);
  for await (const { value } of readRunRecords(dir, "samples")) acc.addSample(value);
  for await (const { value } of readRunRecords(dir, "failures")) acc.addFailure(value);
  return acc.result();
}

/**
 * Totals of a whole run directory (every invocation into it): what summary.json's `totals` reports,
 * so the numbers describe the dataset, not just the last resume. Lines that are not valid records
 * are not counted here (resume reports them where they matter), so a damaged line cannot stop a run
 * at its very end.
 */
export async function computeRunTotals(dir: string): Promise<RunTotals> {
  const acc = new RunStatsAccumulator(dir);
  for await (const { value } of readRunRecords(dir, "samples", { skipInvalid: true })) acc.addSample(value);
  for await (const { value } of readRunRecords(dir, "plans", { skipInvalid: true })) acc.addPlan(value);
  for await (const { value } of readRunRecords(dir, "failures", { skipInvalid: true })) acc.addFailure(value);
  return acc.totals();
}
