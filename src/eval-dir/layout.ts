/**
 * The eval directory's file names: the one place they are spelled. `sra eval --out DIR` writes one
 * subfolder per benchmark (DIR/humaneval-plus, DIR/mbpp-plus, DIR/<your file's name>), each holding:
 *
 *   config.json     every resolved setting, and the benchmark file and its sha256
 *   samples.jsonl   one sample per line, in evalplus's samples format (task_id, solution) plus its
 *                   index, the model's reply and what was extracted from it
 *   results.jsonl   one verdict per sample: task id, sample index, base and plus status, first failure
 *   summary.json    pass@k (base and plus), counts by status, solved tasks, timings (written at the end)
 *   eval.log        structured log (pino)
 *   eval.lock       only while an `sra eval` works in the folder
 *
 * `sra eval compare` reads the summaries; `--only-unsolved` reads another run's summaries.
 */
import * as path from "node:path";

export const EVAL_FILES = {
  config: "config.json",
  samples: "samples.jsonl",
  results: "results.jsonl",
  summary: "summary.json",
  log: "eval.log",
  lock: "eval.lock",
} as const;

export type EvalFile = keyof typeof EVAL_FILES;

export function evalPath(dir: string, file: EvalFile): string {
  return path.join(dir, EVAL_FILES[file]);
}

/**
 * The subfolder of a benchmark: a built-in's name as it is; a file's name without its directory and
 * its .jsonl / .jsonl.gz / .json ending, with anything but letters, digits, ".", "_" and "-" made "_".
 */
export function benchmarkFolder(name: string): string {
  const base = path.basename(name).replace(/\.jsonl(\.gz)?$|\.json$/i, "");
  return base.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "_") || "benchmark";
}
