/**
 * How `sra eval` asks a model for a benchmark task: one prompt file per kind of task in prompts/
 * (eval-code.md, eval-tests.md, eval-stdio.md), or, with `--instruction`, eval-instruction.md with one
 * of `sra export`'s instructions, so a model fine-tuned on our data is asked the way it was trained.
 * Rendering is pure; loading reads the files once.
 */
import type { EvalTask } from "../benchmarks/eval-tasks.js";
import { UsageError } from "../errors.js";
import { CODE_INSTRUCTIONS, PLAN_INSTRUCTIONS } from "../export/instructions.js";
import type { ChatMessage } from "../llm/types.js";
import {
  builtinPromptsDir,
  hashPromptTemplates,
  type PromptTemplate,
  readPromptFile,
  renderPrompt,
} from "../roles/prompts.js";
import type { PromptStyle } from "./prompt-styles.js";

/** Each eval prompt (the role a file plays) and the placeholders it must hold. */
export const EVAL_PROMPT_PLACEHOLDERS = {
  "eval-code": ["prompt"],
  "eval-tests": ["question", "tests"],
  "eval-stdio": ["question"],
  "eval-instruction": ["instruction", "question"],
} as const;

export type EvalPromptName = keyof typeof EVAL_PROMPT_PLACEHOLDERS;
export type EvalPromptSet = Record<EvalPromptName, PromptTemplate>;
const NAMES = Object.keys(EVAL_PROMPT_PLACEHOLDERS) as EvalPromptName[];

/** The file each prompt is read from under a style (--instruction's file is the same for both). */
export function evalPromptFile(name: EvalPromptName, style: PromptStyle): string {
  return style === "mot" && name !== "eval-instruction" ? name.replace(/^eval-/, "eval-mot-") : name;
}

/**
 * Read and check the eval prompts of `style` from `dir` (default: the package's prompts/). Only the
 * style's files are read, so a --prompts-dir made for the normal prompts needs no MoT files.
 */
export async function loadEvalPrompts(
  dir?: string | null,
  style: PromptStyle = "normal",
): Promise<EvalPromptSet> {
  const base = dir ?? builtinPromptsDir();
  const files = NAMES.map((name) => evalPromptFile(name, style));
  const entries = await Promise.all(
    NAMES.map(
      async (name) =>
        [
          name,
          await readPromptFile(base, evalPromptFile(name, style), files, {
            placeholders: EVAL_PROMPT_PLACEHOLDERS[name],
            systemOptional: true,
          }),
        ] as const,
    ),
  );
  return Object.fromEntries(entries) as EvalPromptSet;
}

export function hashEvalPrompts(prompts: EvalPromptSet): string {
  return hashPromptTemplates(NAMES.map((name) => [name, prompts[name]]));
}

/**
 * How a task is asked. "code": its prompt is code (HumanEval's signature and docstring, MBPP+'s
 * docstring with a test), shown in a python block as evalplus does; "tests": a task in words and the
 * tests that call the function (the original MBPP, APPS with fn_name); "stdio": a program that reads
 * standard input (APPS, CodeContests).
 */
export type TaskStyle = "code" | "tests" | "stdio";

export function taskStyle(task: EvalTask): TaskStyle {
  const tests = task.tests;
  if (tests.kind === "evalplus") return "code";
  if (tests.kind === "asserts") return tests.checkFunction ? "code" : "tests";
  return tests.fnName ? "tests" : "stdio";
}

/** The tests a "tests" task shows: the dataset's example asserts, APPS's starter code, or the name. */
function shownTests(task: EvalTask): string {
  if (task.examples.length > 0) return task.examples.join("\n");
  return `# the tests call ${task.entryPoint ?? "the function"}(...)`;
}

/** A python block (the fence longer than any backtick run inside, so it cannot end early). */
function fenced(code: string): string {
  const longest = Math.max(2, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}python\n${code.replace(/\s+$/, "")}\n${fence}`;
}

/** The task as a question of the training data: what follows the instruction in --instruction mode. */
export function taskQuestion(task: EvalTask): string {
  const style = taskStyle(task);
  if (style === "code") return fenced(task.prompt);
  if (style === "tests") return `${task.prompt.trim()}\n\n${fenced(shownTests(task))}`;
  return task.prompt.trim();
}

/** The chat messages that ask for one sample of `task`. */
export function taskMessages(
  task: EvalTask,
  prompts: EvalPromptSet,
  instruction: string | null,
): ChatMessage[] {
  // No instruction (`none`): the question alone, as export wrote the user turn without one.
  if (instruction === "") return [{ role: "user", content: taskQuestion(task) }];
  if (instruction !== null) {
    return renderPrompt(prompts["eval-instruction"], { instruction, question: taskQuestion(task) });
  }
  const style = taskStyle(task);
  if (style === "code")
    return renderPrompt(prompts["eval-code"], { prompt: task.prompt.replace(/\s+$/, "") });
  if (style === "tests") {
    return renderPrompt(prompts["eval-tests"], { question: task.prompt.trim(), tests: shownTests(task) });
  }
  return renderPrompt(prompts["eval-stdio"], { question: task.prompt.trim() });
}

/**
 * `--instruction`: one of `sra export`'s built-in instructions by name (`plan-1` .. `plan-6`, asking
 * for a plan then code, as the default dataset was exported; `code-1` .. `code-6`, the --no-plan
 * ablation's), `none` (the question alone, as `--instruction-set none` exported it), or the text of
 * your own instruction (anything with a space in it). Returns the instruction text ("" for none).
 */
export function resolveInstruction(value: string): string {
  const m = /^(plan|code)-(\d+)$/.exec(value.trim());
  if (m) {
    const list = m[1] === "plan" ? PLAN_INSTRUCTIONS : CODE_INSTRUCTIONS;
    const text = list[Number(m[2]) - 1];
    if (text !== undefined) return text;
  }
  if (value.trim() === "none") return "";
  if (/\s/.test(value.trim())) return value.trim();
  throw new UsageError(
    `--instruction must be plan-1 .. plan-${PLAN_INSTRUCTIONS.length}, code-1 .. code-${CODE_INSTRUCTIONS.length}, none, or the text of an instruction (got "${value}")`,
    {
      hint: "plan-N and code-N are sra export's built-in instructions, in the order of src/export/instructions.ts",
    },
  );
}
