/**
 * Resume: what a run directory already holds, as sets of ids (never the records), and the small
 * repairs that keep its files consistent after a crash.
 *
 * Records are appended tree -> plan -> sample, each a whole line. A crash can therefore leave
 *  - a torn last line (cut off by JsonlAppender.open, and ignored by the readers here);
 *  - a tree without its plan (the crash fell between the two appends): that tree is dropped at the
 *    next start, since its problem will be searched again and would otherwise appear twice;
 *  - a plan without a sample: its code stage runs on the next start, the plan is not searched again.
 */
import { stat } from "node:fs/promises";
import { InputError } from "../errors.js";
import { runPath } from "../run-dir/layout.js";
import { fileExists, filterJsonlFile, readIds, readRunRecords } from "../run-dir/records.js";
import type { Failure, Stage } from "../types.js";
import { repairTornTail, writeFileAtomic } from "../util/jsonl.js";

export interface ResumeState {
  sampleIds: Set<string>;
  planIds: Set<string>;
  /** id -> the stage of its (latest) recorded failure. */
  failures: Map<string, Stage>;
}

/**
 * Read the id sets of a run directory (missing files are empty). Torn tails are cut first: a line
 * without its newline was never finished, even when it happens to parse.
 */
export async function readResumeState(dir: string): Promise<ResumeState> {
  for (const f of ["samples", "plans", "trees", "failures"] as const) {
    // A device or FIFO in place of a run file (a symlink to /dev/zero...) would be read forever.
    const st = await stat(runPath(dir, f)).catch(() => undefined);
    if (st && !st.isFile()) {
      throw new InputError(
        "not a regular file",
        { file: runPath(dir, f) },
        {
          hint: "a run file must be a plain file: remove it, or write to a new --out directory",
        },
      );
    }
    await repairTornTail(runPath(dir, f));
  }
  const [sampleIds, planIds] = await Promise.all([
    readIds(runPath(dir, "samples")),
    readIds(runPath(dir, "plans")),
  ]);
  const failures = new Map<string, Stage>();
  for await (const { value } of readRunRecords(dir, "failures")) {
    failures.set(value.id, value.stage);
  }
  return { sampleIds, planIds, failures };
}

/** Drop trees that `keep` rejects (e.g. a crash fell between the tree and the plan). Returns how many. */
export async function dropOrphanTrees(dir: string, keep: (id: string) => boolean): Promise<number> {
  return filterJsonlFile(runPath(dir, "trees"), (id) => id !== undefined && keep(id));
}

/**
 * Remove from failures.jsonl the failures about to be retried (`--retry-failures`), so the file lists
 * each current failure once. Written atomically; a retry that fails again appends a fresh line.
 */
export async function clearFailures(
  dir: string,
  retry: (f: Pick<Failure, "id" | "stage">) => boolean,
): Promise<number> {
  const file = runPath(dir, "failures");
  if (!(await fileExists(file))) return 0;
  const kept: string[] = [];
  let dropped = 0;
  for await (const { text, value } of readRunRecords(dir, "failures")) {
    if (retry(value)) dropped++;
    else kept.push(text);
  }
  if (dropped > 0) await writeFileAtomic(file, kept.map((l) => `${l}\n`).join(""));
  return dropped;
}

/** What to do for one selected problem, given the stage and the run directory's state. */
export type Todo = "search" | "code" | "done" | "failed" | "no-plan";

export function todoFor(
  id: string,
  stage: "plans" | "code" | "all",
  state: ResumeState,
  retryFailures: boolean,
): Todo {
  if (state.sampleIds.has(id)) return "done";
  // A plans run is satisfied by a plan, whatever happened to its code.
  if (stage === "plans" && state.planIds.has(id)) return "done";
  const failedAt = state.failures.get(id);
  if (failedAt !== undefined && !(retryFailures && retriable(failedAt, stage))) return "failed";
  const hasPlan = state.planIds.has(id);
  switch (stage) {
    case "plans":
      return hasPlan ? "done" : "search";
    case "code":
      // Without a plan there is nothing to implement: the problem waits for a plans run.
      return hasPlan ? "code" : "no-plan";
    default:
      return hasPlan ? "code" : "search";
  }
}

/** Whether a failure at `failedAt` is retried by a run of `stage`. */
export function retriable(failedAt: Stage, stage: "plans" | "code" | "all"): boolean {
  if (stage === "all") return failedAt === "plans" || failedAt === "code";
  return failedAt === stage;
}
