/**
 * Which problems this generate invocation does, and in what order. The whole problems file is read
 * and validated first (every bad record is reported before any model call); then the first `--limit`
 * of the file, the `--shard`, and what the run directory already holds (resume.ts) decide. The work
 * is then streamed: plans waiting for their code first, then problems to search.
 */

import { InputError } from "../errors.js";
import {
  createReadProblemsStats,
  MAX_REPORTED_ERRORS,
  type ReadProblemsOptions,
  type ReadProblemsStats,
  readProblems,
} from "../problems/read-problems.js";
import { readRunRecords } from "../run-dir/records.js";
import type { PlanRecord, Problem, ProblemTests } from "../types.js";
import { codeChecksRun } from "./code-checks.js";
import type { RunConfig } from "./config.js";
import { type ResumeState, todoFor } from "./resume.js";
import { inShard } from "./shard.js";
import type { SelectionCounts } from "./summary.js";

export interface Selection {
  counts: SelectionCounts;
  /** Ids still to schedule; each is removed when scheduled, so nothing runs twice. */
  pending: Set<string>;
  /** What reading the problems file found (invalid records skipped, repeated questions). */
  readStats: ReadProblemsStats;
  /** The repeated questions dropped within the selection (--limit, --shard): the first 20. */
  repeats: InputError[];
  readOptions: ReadProblemsOptions;
  /**
   * The tests of the selected problems whose saved plan waits for its code: a code task is made from
   * plans.jsonl, which does not hold them (kept only for those, and only with code checks on).
   */
  codeTests: Map<string, ProblemTests>;
}

/** One unit of the pool's work: a problem to search (and implement), or a saved plan to implement. */
export interface Task {
  kind: "search" | "code";
  problem: Problem;
  /** For a code task: the plan read from plans.jsonl. */
  plan?: PlanRecord;
}

function readOptionsOf(config: RunConfig): ReadProblemsOptions {
  return {
    questionField: config.input.questionField,
    ...(config.input.idField ? { idField: config.input.idField } : {}),
    skipInvalid: config.input.skipInvalid,
    ...(config.input.maxQuestionChars === null ? {} : { maxQuestionChars: config.input.maxQuestionChars }),
    // A problem's tests are read (and checked) only when the code stage or the search runs them.
    ...(codeChecksRun(config) ? { readTests: true } : {}),
  };
}

/** Validate the whole problems file, then select: limit (first N of the file), shard, resume. */
export async function selectProblems(config: RunConfig, state: ResumeState): Promise<Selection> {
  const readStats = createReadProblemsStats();
  const readOptions = readOptionsOf(config);
  const pending = new Set<string>();
  const codeTests = new Map<string, ProblemTests>();
  const counts: SelectionCounts = {
    inFile: 0,
    invalidSkipped: 0,
    duplicatesSkipped: 0,
    selected: 0,
    alreadyDone: 0,
    failedEarlier: 0,
    withoutPlan: 0,
    todo: 0,
  };
  let index = 0;
  const repeats: InputError[] = [];
  // A repeat is the selection's when it comes before the limit is full and its id is in the shard
  // (the reader calls this as it drops it, after the problems before it were handed out).
  const onRepeat = (repeat: InputError, id: string): void => {
    if (config.input.limit !== null && index >= config.input.limit) return;
    if (!inShard(id, config.input.shard)) return;
    counts.duplicatesSkipped++;
    if (repeats.length < MAX_REPORTED_ERRORS) repeats.push(repeat);
  };
  for await (const problem of readProblems(config.input.problems, { ...readOptions, onRepeat }, readStats)) {
    const i = index++;
    if (config.input.limit !== null && i >= config.input.limit) continue;
    if (!inShard(problem.id, config.input.shard)) continue;
    counts.selected++;
    const todo = todoFor(problem.id, config.stage, state, config.run.retryFailures);
    if (todo === "done") counts.alreadyDone++;
    else if (todo === "failed") counts.failedEarlier++;
    else if (todo === "no-plan") counts.withoutPlan++;
    else {
      counts.todo++;
      pending.add(problem.id);
      if (todo === "code" && problem.tests) codeTests.set(problem.id, problem.tests);
    }
  }
  counts.inFile = readStats.problems;
  counts.invalidSkipped = readStats.invalid;
  // An empty file is almost always an earlier step that failed (a truncated download, a filter that
  // dropped everything); a run that quietly does nothing would hide it.
  if (readStats.lines - readStats.blank === 0) {
    throw new InputError(
      "no problems: the file is empty",
      { file: config.input.problems },
      {
        hint: "check the step that wrote it; a problems file has one JSON object per line",
      },
    );
  }
  return { counts, pending, readStats, readOptions, repeats, codeTests };
}

function planProblem(plan: PlanRecord, tests: ProblemTests | undefined): Problem {
  return { id: plan.id, question: plan.question, line: 0, record: {}, ...(tests ? { tests } : {}) };
}

/** The work, streamed: plans waiting for code first, then problems to search. */
export async function* scheduleTasks(
  dir: string,
  config: RunConfig,
  state: ResumeState,
  selection: Selection,
): AsyncGenerator<Task> {
  const { pending } = selection;
  const stage = config.stage;
  if (stage !== "plans") {
    for await (const { value } of readRunRecords(dir, "plans")) {
      if (!pending.has(value.id)) continue;
      if (todoFor(value.id, stage, state, config.run.retryFailures) !== "code") continue;
      pending.delete(value.id);
      yield { kind: "code", problem: planProblem(value, selection.codeTests.get(value.id)), plan: value };
    }
  }
  if (stage === "code" || pending.size === 0) return;
  for await (const problem of readProblems(config.input.problems, selection.readOptions)) {
    if (!pending.has(problem.id)) continue;
    if (todoFor(problem.id, stage, state, config.run.retryFailures) !== "search") continue;
    pending.delete(problem.id);
    yield { kind: "search", problem };
    // All scheduled (e.g. --limit N): the selection validated the rest of the file; reading it again is waste.
    if (pending.size === 0) return;
  }
}
