/**
 * Stream a run directory's files into a RunStatsAccumulator: trees, plans, samples and failures, one
 * record at a time (a torn last line, left by a killed run, is skipped).
 */
import { stat } from "node:fs/promises";
import * as path from "node:path";
import type { z } from "zod";
import { cannotReadError, InputError } from "../errors.js";
import { readRunConfig } from "../export/run-config.js";
import { failureSchema, planRecordSchema, sampleSchema, treeRecordSchema } from "../types.js";
import { readJsonl } from "../util/jsonl.js";
import { type RunStats, RunStatsAccumulator } from "./aggregate.js";

export const RUN_FILES = ["trees.jsonl", "plans.jsonl", "samples.jsonl", "failures.jsonl"] as const;

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw new InputError(`cannot read: ${(e as Error).message}`, { file });
  }
}

async function feed<S extends z.ZodType>(
  file: string,
  schema: S,
  add: (value: z.infer<S>) => void,
): Promise<void> {
  if (!(await exists(file))) return;
  for await (const { value } of readJsonl(file, schema, { tolerateTornTail: true })) add(value);
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
  const present = await Promise.all(RUN_FILES.map((f) => exists(path.join(dir, f))));
  if (!present.some(Boolean)) {
    throw new InputError(`not a run directory: none of ${RUN_FILES.join(", ")} is there`, { file: dir });
  }
  const acc = new RunStatsAccumulator(label);
  const config = await readRunConfig(dir);
  acc.setConfig({ model: config?.preset ?? config?.servedModel, strategy: config?.strategy });
  acc.setFinished(await exists(path.join(dir, "summary.json")));
  await feed(path.join(dir, "trees.jsonl"), treeRecordSchema, (t) => acc.addTree(t));
  await feed(path.join(dir, "plans.jsonl"), planRecordSchema, (p) => acc.addPlan(p));
  await feed(path.join(dir, "samples.jsonl"), sampleSchema, (s) => acc.addSample(s));
  await feed(path.join(dir, "failures.jsonl"), failureSchema, (f) => acc.addFailure(f));
  return acc.result();
}
