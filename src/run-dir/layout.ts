/**
 * The run directory's file names: the one place they are spelled. A run directory is what
 * `sra generate` writes and resumes, `sra merge` combines, and `sra stats` and `sra export` read.
 *
 *   config.json     every resolved setting (config-file.ts)
 *   trees.jsonl     one search tree per problem        \
 *   plans.jsonl     the chosen plan per problem         | append-only records (records.ts),
 *   samples.jsonl   question, plan and code per problem | one JSON object per line, "id" first
 *   failures.jsonl  why a problem has no sample        /
 *   summary.json    written at the end of every generate invocation
 *   generate.log    generate's structured log
 *   generate.lock   held while a generate runs in the directory
 *   journal/        the replies of the problems in progress, replayed on resume (journal.ts)
 */
import * as path from "node:path";

export const RUN_FILES = {
  config: "config.json",
  trees: "trees.jsonl",
  plans: "plans.jsonl",
  samples: "samples.jsonl",
  failures: "failures.jsonl",
  summary: "summary.json",
  log: "generate.log",
  lock: "generate.lock",
  journal: "journal",
} as const;

export type RunFile = keyof typeof RUN_FILES;

/** The record files, in the order `sra stats` names them. */
export const RECORD_FILES = ["trees", "plans", "samples", "failures"] as const;

/** What `sra merge` writes beside the merged run's files. */
export const MERGE_REPORT_FILE = "merge-report.json";

export function runPath(dir: string, file: RunFile): string {
  return path.join(dir, RUN_FILES[file]);
}
