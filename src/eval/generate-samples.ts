/**
 * `sra eval`'s generation: each (task, sample index) not yet in samples.jsonl is one request through
 * the command's LLM stack (the same presets, system-role folding, endpoints, limiter and retries as
 * generate), its reply sanitised into the program that is run, and appended as one whole line. A
 * sample's request seed comes from --seed, its task and its index, so the samples of a rerun, or of a
 * larger --n, are those of one uninterrupted run.
 */
import type { EvalTask } from "../benchmarks/eval-tasks.js";
import type { SampleLine } from "../eval-dir/records.js";
import type { Llm } from "../llm/types.js";
import { failureBudgetExceeded, maxFailuresOf } from "../run/failure-budget.js";
import { runPool } from "../run/pool.js";
import type { Rng } from "../util/rng.js";
import type { GenerationParams } from "./eval-config.js";
import { type EvalPromptSet, taskMessages, taskStyle } from "./prompts.js";
import { sanitize } from "./sanitize.js";

export interface SampleJob {
  task: EvalTask;
  index: number;
}

export interface GenerationContext {
  /** The model every sample's request goes through (the LLM stack's). */
  llm: Llm;
  prompts: EvalPromptSet;
  params: GenerationParams;
  /** The run's Rng (from --seed); each sample's request seed is forked from it by task and index. */
  rng: Rng;
  signal: AbortSignal;
  now: () => number;
}

/**
 * The one place a task's model is made. generate wraps its per-problem model in the request journal
 * (src/run-dir/journal.ts); eval does not, on purpose: a sample is one request, and its line is
 * appended to samples.jsonl as soon as that request is answered, the moment the journal would write
 * its record. So after a crash every answered request is a sample already, the requests in flight
 * have no reply in either file, and a journal would replay nothing while costing a write per reply
 * (test/eval-cli.test.ts: SIGKILL, then each missing sample asked once). Should a sample ever take
 * several calls (a plan, then code), its journal unit belongs here, keyed by task and index.
 */
export function taskLlm(ctx: GenerationContext, _task: EvalTask): Llm {
  return ctx.llm;
}

/** The request seed of one sample: the same for the same --seed, task and index, in any run. */
export function sampleSeed(rng: Rng, taskId: string, index: number): number {
  return rng.fork(taskId).fork(String(index)).int(0x7fffffff);
}

/** Ask for one sample of a task and sanitise the reply into the program the tests run. */
export async function generateSample(ctx: GenerationContext, job: SampleJob): Promise<SampleLine> {
  const { task, index } = job;
  const t0 = ctx.now();
  const reply = await taskLlm(ctx, task).complete(
    {
      purpose: "codegen",
      messages: taskMessages(task, ctx.prompts, ctx.params.instruction),
      temperature: ctx.params.temperature,
      topP: ctx.params.topP,
      maxTokens: ctx.params.maxTokens,
      seed: sampleSeed(ctx.rng, task.taskId, index),
    },
    ctx.signal,
  );
  // A reply that is only the function's body is appended to a prompt that defines the function
  // (HumanEval's), as evalplus reads a `completion`.
  const definesEntry =
    taskStyle(task) === "code" &&
    task.entryPoint !== undefined &&
    task.prompt.includes(`def ${task.entryPoint}`);
  const { code, extraction } = sanitize(reply.text, {
    ...(task.entryPoint !== undefined ? { entryPoint: task.entryPoint } : {}),
    ...(definesEntry ? { prompt: task.prompt } : {}),
  });
  return {
    task_id: task.taskId,
    index,
    solution: code,
    reply: reply.text,
    extraction,
    finish_reason: reply.finishReason,
    prompt_tokens: reply.promptTokens,
    completion_tokens: reply.completionTokens,
    seconds: Math.round(ctx.now() - t0) / 1000,
  };
}

export interface GenerationCounts {
  generated: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  /** How the code was found in the replies (the sanitiser's `from`). */
  extractedFrom: Record<string, number>;
}

export function createGenerationCounts(): GenerationCounts {
  return { generated: 0, failed: 0, promptTokens: 0, completionTokens: 0, extractedFrom: {} };
}

export interface GenerationRunOptions {
  concurrency: number;
  /** --max-failures: the setting's value (null: none). */
  maxFailures: number | null;
  /** Write one sample (one whole line). */
  append: (line: SampleLine) => Promise<void>;
  /** A sample whose request failed after the LLM stack's retries (not written; a rerun asks again). */
  onFailure: (job: SampleJob, error: unknown) => void;
  /** Too many samples failed: stop the run (once). */
  stop: (detail: string) => void;
  counts: GenerationCounts;
}

/**
 * Generate every job through a bounded pool. A failed request is counted and reported, and the run
 * goes on until --max-failures says the server or the model is broken; a stopped run (Ctrl-C) drops
 * the samples in flight, which a rerun asks for again.
 */
export async function runGeneration(
  jobs: Iterable<SampleJob>,
  ctx: GenerationContext,
  options: GenerationRunOptions,
): Promise<void> {
  const { counts } = options;
  const budget = maxFailuresOf(options.maxFailures);
  const source = (async function* () {
    yield* jobs;
  })();
  await runPool(source, { concurrency: options.concurrency, signal: ctx.signal }, async (job) => {
    let line: SampleLine;
    try {
      line = await generateSample(ctx, job);
    } catch (e) {
      if (ctx.signal.aborted) return;
      counts.failed++;
      options.onFailure(job, e);
      const why = failureBudgetExceeded(
        budget,
        counts.failed,
        counts.generated + counts.failed,
        undefined,
        "samples",
      );
      if (why) options.stop(why);
      return;
    }
    await options.append(line);
    counts.generated++;
    counts.promptTokens += line.prompt_tokens ?? 0;
    counts.completionTokens += line.completion_tokens ?? 0;
    const from = line.extraction?.from ?? "unknown";
    counts.extractedFrom[from] = (counts.extractedFrom[from] ?? 0) + 1;
  });
}
