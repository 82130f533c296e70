/**
 * Which tasks of a benchmark `sra eval` scores: the first --limit, then, with --only-unsolved DIR,
 * those an earlier eval did not solve (the test-time-scaling repo's protocol: evaluate only the
 * questions greedy decoding fails). And the samples of a --samples file that belong to a benchmark.
 */
import * as path from "node:path";
import type { EvalBenchmark } from "../benchmarks/eval-tasks.js";
import { InputError } from "../errors.js";
import { readEvalSummary } from "../eval-dir/records.js";
import type { EvalSample } from "./evaluate.js";
import { parseSamples } from "./samples-format.js";

/** The benchmark with only the tasks it keeps, in the file's order. */
export function withTasks(b: EvalBenchmark, keep: (taskId: string, i: number) => boolean): EvalBenchmark {
  const tasks = b.tasks.filter((t, i) => keep(t.taskId, i));
  return {
    ...b,
    tasks,
    hasPlus: tasks.some((t) => t.tests.kind === "evalplus" && t.tests.plusInputs !== undefined),
  };
}

export interface Solved {
  /** The summary that said what was solved. */
  file: string;
  ids: Set<string>;
  /** Which tests counted: plus where the earlier run had them. */
  tests: "base" | "plus";
  /** The earlier run scored another file (another version of the benchmark). */
  otherFile?: string;
}

/**
 * The tasks an earlier eval solved, from its summary.json: `<dir>/<folder>/summary.json` (dir is an
 * eval --out), or `<dir>/summary.json` (dir is that benchmark's folder itself).
 */
export async function readSolved(dir: string, folder: string, benchmark: EvalBenchmark): Promise<Solved> {
  for (const candidate of [path.join(dir, folder), dir]) {
    const read = await readEvalSummary(candidate);
    if (read.status === "missing") continue;
    if (read.status === "invalid") throw new InputError(read.error, { file: read.file });
    const s = read.summary;
    if (candidate === dir && s.benchmark !== benchmark.name && path.basename(dir) !== folder) continue;
    const tests = s.solved.plus ? "plus" : "base";
    return {
      file: read.file,
      ids: new Set(s.solved.plus ?? s.solved.base),
      tests,
      ...(s.sha256 !== benchmark.sha256 ? { otherFile: s.file } : {}),
    };
  }
  throw new InputError(
    `no summary.json for ${folder} here`,
    { file: dir },
    {
      hint: `--only-unsolved takes an earlier eval's --out (with ${folder}/summary.json) or that benchmark's folder`,
    },
  );
}

/**
 * The samples of `benchmark` in a --samples file's text (evalplus's format), numbered per task in
 * file order; ids that no benchmark of the run knows are returned apart.
 */
export function samplesFor(
  text: string,
  file: string,
  benchmark: EvalBenchmark,
  known: (taskId: string) => boolean,
): { samples: EvalSample[]; unknown: string[] } {
  const prompts = new Map(benchmark.tasks.map((t) => [t.taskId, t.prompt]));
  const unknown = new Set<string>();
  const samples = parseSamples(text, file, (id) => prompts.get(id), {
    keep: (id) => {
      if (!known(id)) unknown.add(id);
      return prompts.has(id);
    },
  });
  return { samples, unknown: [...unknown] };
}
