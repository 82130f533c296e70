/**
 * A scripted model for `sra eval` tests: it answers a benchmark task's request (purpose "codegen")
 * with the task's canonical solution or with broken code, as the test decides per task and per
 * occurrence, so the expected pass@k of a run is known exactly. Replies are written as chat models
 * write them: prose around a ```python block (or `Step n:` lines first, when asked with an
 * instruction), with an example call the sanitiser must drop.
 */
import type { EvalTask } from "../../src/benchmarks/eval-tasks.js";
import { sampleSeed } from "../../src/eval/generate-samples.js";
import { createRng } from "../../src/util/rng.js";
import type { FakeReply, FakeRequestContext, FakeScript } from "./fake-openai-server.js";

export type Answer = "canonical" | "broken" | "prose";

/** The task a request asks for: the one whose prompt the request's user message holds. */
export function taskOfPrompt(tasks: readonly EvalTask[], prompt: string): EvalTask | undefined {
  // The longest prompt first: a task's prompt may be a prefix of another's.
  return [...tasks]
    .sort((a, b) => b.prompt.length - a.prompt.length)
    .find((t) => prompt.includes(t.prompt.trim()));
}

export function codegenReply(task: EvalTask, answer: Answer, withPlan: boolean): string {
  const plan = withPlan ? "Step 1: Read the input.\nStep 2: Compute the answer and return it.\n\n" : "";
  if (answer === "prose") return `${plan}I am not sure how to solve this one.`;
  const code =
    answer === "canonical"
      ? (task.canonical ?? "")
      : `def ${task.entryPoint ?? "solve"}(*args, **kwargs):\n    return "wrong"\n`;
  // A function's reply ends with an example use the sanitiser must drop; a stdin program is whole.
  const example = task.entryPoint ? `\n\n\nprint(${task.entryPoint})` : "";
  return `${plan}Here is a solution:\n\n\`\`\`python\n${code.trimEnd()}${example}\n\`\`\`\n\nIt runs in linear time.`;
}

/** The sample index a request's seed belongs to (sra's seeds: --seed 0, the task, the index). */
export function indexOfSeed(taskId: string, seed: number | undefined): number {
  const rng = createRng(0);
  for (let i = 0; i < 50; i++) if (sampleSeed(rng, taskId, i) === seed) return i;
  return 0; // greedy runs send a seed too; index 0 then
}

/** What a request was: its task, the how-many-th request of that task it is, and its seed. */
export interface CodegenRequest {
  taskId: string;
  occurrence: number;
  seed: number | undefined;
}

/**
 * Answers `answer(request)`; other purposes get "ok". `requests` counts the codegen requests per
 * task id.
 */
export function createCodegenScript(
  tasks: readonly EvalTask[],
  answer: (request: CodegenRequest) => Answer,
  options: { delayMs?: number } = {},
): { script: FakeScript; requests: Map<string, number> } {
  const requests = new Map<string, number>();
  const script = (ctx: FakeRequestContext): FakeReply => {
    if (ctx.purpose !== "codegen") return "ok";
    const task = taskOfPrompt(tasks, ctx.prompt);
    if (!task) return "I do not know this task.";
    const n = requests.get(task.taskId) ?? 0;
    requests.set(task.taskId, n + 1);
    const withPlan = /step-by-step plan|break this problem|outline your approach/i.test(ctx.prompt);
    const seed = typeof ctx.body.seed === "number" ? ctx.body.seed : undefined;
    const content = codegenReply(task, answer({ taskId: task.taskId, occurrence: n, seed }), withPlan);
    return options.delayMs ? { content, delayMs: options.delayMs } : content;
  };
  return { script, requests };
}
