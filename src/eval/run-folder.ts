/**
 * One benchmark's folder of an `sra eval` run, from open to summary: write its config.json, generate
 * the samples it lacks (or copy --samples in), check every sample without a verdict, and write
 * summary.json over every selected sample. Each phase appends whole lines keyed by (task, index), so a
 * run stopped anywhere (Ctrl-C, SIGKILL) resumes from what its files hold.
 */
import type { EvalBenchmark } from "../benchmarks/eval-tasks.js";
import { type ExpectedOutputs, prepareExpected } from "../benchmarks/expected.js";
import { EVAL_FILES, evalPath } from "../eval-dir/layout.js";
import type { EvalRunSummary } from "../eval-dir/records.js";
import {
  type Keyed,
  openEvalAppender,
  type SampleLine,
  sampleKey,
  writeEvalJson,
} from "../eval-dir/records.js";
import type { Executor } from "../execute/executor.js";
import type { LlmStack } from "../llm/create-llm-stack.js";
import type { RunStop } from "../run/interrupt.js";
import { ProgressReporter, type ProgressStream, progressMode } from "../run/progress.js";
import { writeFileAtomic } from "../util/jsonl.js";
import type { Logger } from "../util/logger.js";
import { makeDirectory, removeStaleTempFiles } from "../util/output-dir.js";
import { createRng } from "../util/rng.js";
import type { EvalConfig } from "./eval-config.js";
import { type EvalSample, evaluateSamples, summarize } from "./evaluate.js";
import {
  createGenerationCounts,
  type GenerationCounts,
  runGeneration,
  type SampleJob,
} from "./generate-samples.js";
import { checkParts, generationParts, type PhaseSnapshot, phaseView } from "./progress-view.js";
import type { EvalPromptSet } from "./prompts.js";
import type { EvalResult, EvalSummary } from "./records.js";
import { buildRunSummary } from "./run-summary.js";

/** A benchmark folder, read and planned before anything is written or asked. */
export interface Folder {
  /** The subfolder's name under --out, and its path. */
  folder: string;
  dir: string;
  /** The whole benchmark, and the tasks this run scores. */
  full: EvalBenchmark;
  benchmark: EvalBenchmark;
  /** config.json as this run writes it (the run's config and the benchmark). */
  config: EvalConfig & { benchmark: Record<string, unknown> };
  samples: Keyed<SampleLine>;
  results: Keyed<EvalResult>;
  /** --samples: this benchmark's samples from the file (written to samples.jsonl when it has none). */
  given: EvalSample[] | undefined;
  /** Task ids of the --samples file that no benchmark of the run has. */
  unknown: string[];
  /** Samples to generate. */
  jobs: SampleJob[];
  /** The folder existed (and is locked already). */
  existed: boolean;
}

/** What every folder of a run shares. */
export interface FolderContext {
  stderr: ProgressStream;
  progress: boolean;
  now: () => number;
  stop: RunStop;
  /** Absent when nothing needs checking. */
  executor: Executor | undefined;
  cacheDir: string;
  prompts: EvalPromptSet | undefined;
  /** A new LLM stack with this folder's logger (model mode). */
  openStack: ((logger: Logger) => Promise<LlmStack>) | undefined;
  openLogger: (dir: string) => Logger;
  /** Lock a folder made by this run. */
  lock: (dir: string) => Promise<void>;
}

/** How a folder's run went. */
export interface FolderOutcome {
  folder: string;
  dir: string;
  summary: EvalRunSummary;
  counts: GenerationCounts | null;
}

/** The selected samples of a folder: tasks this run scores, indexes below --n (all with --samples). */
export function selectedSamples(f: Folder): SampleLine[] {
  const ids = new Set(f.benchmark.tasks.map((t) => t.taskId));
  const n = f.config.generation?.n;
  return [...f.samples.records.values()].filter(
    (s) => ids.has(s.task_id) && (n === undefined || s.index < n),
  );
}

/** Selected (task, index) pairs without a sample. */
function missingSamples(f: Folder): number {
  const n = f.config.generation?.n;
  if (n === undefined) return 0;
  return f.benchmark.tasks.length * n - selectedSamples(f).length;
}

function startProgress(ctx: FolderContext, snapshot: () => PhaseSnapshot): ProgressReporter {
  const progress = new ProgressReporter({
    stream: ctx.stderr,
    mode: progressMode(ctx.stderr, ctx.progress),
    now: ctx.now,
    view: phaseView(snapshot),
  });
  progress.start();
  return progress;
}

async function openFolder(f: Folder, ctx: FolderContext): Promise<Logger> {
  await makeDirectory(f.dir);
  if (!f.existed) await ctx.lock(f.dir);
  await removeStaleTempFiles(f.dir, Object.values(EVAL_FILES));
  await writeEvalJson(f.dir, "config", f.config);
  if (f.given && f.samples.records.size === 0) {
    // --samples: the folder keeps its own copy, in the same format, so it reads without the file.
    const lines: SampleLine[] = f.given.map((s) => ({
      task_id: s.taskId,
      index: s.index,
      solution: s.solution,
    }));
    await writeFileAtomic(evalPath(f.dir, "samples"), lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
    for (const l of lines) f.samples.records.set(sampleKey(l.task_id, l.index), l);
  }
  return ctx.openLogger(f.dir);
}

async function generatePhase(f: Folder, ctx: FolderContext, logger: Logger): Promise<GenerationCounts> {
  const counts = createGenerationCounts();
  const generation = f.config.generation;
  if (!ctx.openStack || !ctx.prompts || !generation || f.jobs.length === 0 || ctx.stop.signal.aborted)
    return counts;
  const stack = await ctx.openStack(logger);
  const appender = await openEvalAppender(f.dir, "samples");
  const started = ctx.now();
  const progress = startProgress(ctx, () => {
    const s = stack.stats();
    const elapsedMs = ctx.now() - started;
    return {
      unit: "samples",
      done: counts.generated + counts.failed,
      total: f.jobs.length,
      elapsedMs,
      parts: generationParts({ ...s, failed: counts.failed, elapsedMs }),
      ...(s.waitingForServer ? { waiting: "WAITING FOR SERVER" } : {}),
    };
  });
  logger.info({ jobs: f.jobs.length, generation, model: f.config.model }, "eval: generating samples");
  try {
    await runGeneration(
      f.jobs,
      {
        llm: stack.llm,
        prompts: ctx.prompts,
        params: generation,
        rng: createRng(generation.seed),
        signal: ctx.stop.signal,
        now: ctx.now,
      },
      {
        concurrency: f.config.run.concurrency,
        maxFailures: f.config.run.maxFailures,
        counts,
        append: async (line) => {
          await appender.append(line);
          f.samples.records.set(sampleKey(line.task_id, line.index), line);
        },
        onFailure: (job, e) =>
          logger.warn(
            { task: job.task.taskId, index: job.index, err: (e as Error).message },
            "sample failed",
          ),
        stop: (detail) => {
          progress.message(`sra eval: ${detail}: stopping`);
          ctx.stop.stop("max-failures", detail);
        },
      },
    );
  } finally {
    progress.stop();
    await appender.close();
    logger.info({ llm: stack.stats(), counts }, "eval: generation done");
    await stack.close().catch(() => undefined);
  }
  return counts;
}

/** What checking did in this invocation: the expected outputs it used and its own timings. */
interface Checked {
  expected?: ExpectedOutputs;
  timings?: EvalSummary["timings"];
}

async function checkPhase(f: Folder, ctx: FolderContext, logger: Logger): Promise<Checked> {
  const todo = selectedSamples(f).filter((s) => !f.results.records.has(sampleKey(s.task_id, s.index)));
  if (todo.length === 0 || !ctx.executor || ctx.stop.signal.aborted) return {};
  const executor = ctx.executor;
  const started = ctx.now();
  const canonical = { done: 0, total: 0 };
  const hasEvalplus = f.benchmark.tasks.some((t) => t.tests.kind === "evalplus");
  let expected: ExpectedOutputs | undefined;
  if (hasEvalplus) {
    const progress = startProgress(ctx, () => ({
      unit: "input sets of the canonical solutions",
      ...canonical,
      elapsedMs: ctx.now() - started,
      parts: [],
    }));
    try {
      expected = await prepareExpected(f.benchmark, executor, {
        cacheDir: ctx.cacheDir,
        onProgress: (done, total) => Object.assign(canonical, { done, total }),
      });
    } finally {
      progress.stop();
    }
    logger.info(
      { dir: expected.dir, computed: expected.computed, seconds: expected.seconds },
      "eval: expected outputs",
    );
  }
  const tally = { done: 0, pass: 0, fail: 0, timeout: 0 };
  const checkStart = ctx.now();
  const progress = startProgress(ctx, () => {
    const elapsedMs = ctx.now() - checkStart;
    return {
      unit: "samples checked",
      done: tally.done,
      total: todo.length,
      elapsedMs,
      parts: checkParts({ ...tally, elapsedMs }),
    };
  });
  const appender = await openEvalAppender(f.dir, "results");
  try {
    const evaluation = await evaluateSamples({
      benchmark: f.benchmark,
      ...(expected ? { expected } : {}),
      executor,
      samples: todo.map((s) => ({ taskId: s.task_id, index: s.index, solution: s.solution })),
      signal: ctx.stop.signal,
      onResult: async (r) => {
        await appender.append(r);
        f.results.records.set(sampleKey(r.task_id, r.index), r);
        tally.done++;
        const status =
          f.benchmark.hasPlus && r.base_status === "pass" ? (r.plus_status ?? "pass") : r.base_status;
        tally[status]++;
      },
    });
    return { ...(expected ? { expected } : {}), timings: evaluation.summary.timings };
  } finally {
    progress.stop();
    await appender.close();
  }
}

/** Generate, check and summarise one folder; the summary is written even when the run was stopped. */
export async function runFolder(f: Folder, ctx: FolderContext): Promise<FolderOutcome> {
  const startedAt = ctx.now();
  const logger = await openFolder(f, ctx);
  try {
    const counts = f.config.source === "model" ? await generatePhase(f, ctx, logger) : null;
    const checked = await checkPhase(f, ctx, logger);
    const selected = selectedSamples(f);
    const results = selected.flatMap((s) => {
      const r = f.results.records.get(sampleKey(s.task_id, s.index));
      return r ? [r] : [];
    });
    const evaluation = summarize(
      {
        benchmark: f.benchmark,
        ...(checked.expected ? { expected: checked.expected } : {}),
        ...(ctx.executor ? { executor: ctx.executor } : {}),
      },
      sortResults(results, f.benchmark),
      f.unknown,
      0,
      0,
    );
    // Timings are this invocation's own (a resumed run checks only what was left).
    evaluation.timings = checked.timings ?? { ...evaluation.timings, checks: 0, check_seconds: 0 };
    const missing = missingSamples(f);
    const summary = buildRunSummary({
      evaluation,
      config: f.config,
      counts,
      missingSamples: missing,
      complete: missing === 0 && results.length === selected.length,
      startedAt,
      finishedAt: ctx.now(),
    });
    await writeEvalJson(f.dir, "summary", summary);
    logger.info({ summary }, "eval: summary");
    return { folder: f.folder, dir: f.dir, summary, counts };
  } finally {
    logger.flush?.();
  }
}

/** Results in the benchmark's task order, then by sample index (the order summary.json lists). */
function sortResults(results: EvalResult[], benchmark: EvalBenchmark): EvalResult[] {
  const position = new Map(benchmark.tasks.map((t, i) => [t.taskId, i]));
  return [...results].sort(
    (a, b) => (position.get(a.task_id) ?? 0) - (position.get(b.task_id) ?? 0) || a.index - b.index,
  );
}
