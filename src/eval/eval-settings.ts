/**
 * Every setting of `sra eval`, one row each (src/util/option-table.ts): the config schema, the
 * defaults, the flags and their help are made from this table. The model rows are generate's own
 * (GENERATE_SETTINGS), the engine, server and in-process rows those every command that calls a model
 * shares (src/llm/llm-settings.ts), so eval runs a model exactly as generate does; the executor's rows
 * are shared with generate's code checks (src/execute/settings.ts).
 *
 * Loaded by the command line to build --help: keep it free of I/O and of heavy imports.
 */
import { z } from "zod";
import { EXECUTE_SETTINGS } from "../execute/settings.js";
import { ENGINE_SETTING, LLAMA_CPP_SETTINGS, SERVER_SETTINGS } from "../llm/llm-settings.js";
import { maxFailuresSchema, parseMaxFailuresSetting } from "../run/failure-budget.js";
import { GENERATE_SETTINGS } from "../run/generate-settings.js";
import { readDefaults } from "../util/config-defaults.js";
import { option, tableWithDefaults } from "../util/option-table.js";
import { PROMPT_STYLES } from "./prompt-styles.js";

/** Sampling temperature when sampling several samples per task and none is given (Codex's pass@10). */
export const SAMPLING_TEMPERATURE = 0.8;

const onOff = (v: boolean) => (v ? "on" : "off");

function parseList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** The rows; their defaults come from configs/defaults.yaml's `eval` section. */
const EVAL_ROWS = {
  model: option({
    ...GENERATE_SETTINGS.model,
    help: "model preset (see `sra models`) or a served model name; not with --samples",
  }),
  servedModel: GENERATE_SETTINGS.servedModel,
  /** Which engine runs the model (model mode only); resolved by chooseEngine when no layer sets it. */
  engine: ENGINE_SETTING,
  benchmarks: option({
    schema: z.array(z.string().min(1)).min(1),
    flag: "--benchmarks <list>",
    help: "comma-separated: humaneval, humaneval-plus, mbpp, mbpp-plus, path.jsonl of your own (HumanEval+/MBPP+, MBPP or APPS shape), or apps:path.jsonl (APPS rows, pass@k per difficulty too) (required)",
    parse: parseList,
  }),
  /** Absolute path of an evalplus-format samples file; null: a model generates the samples. */
  samples: option({
    schema: z.string().min(1).nullable(),
    flag: "--samples <file>",
    help: "evaluate these samples (evalplus's format: task_id with solution, or completion appended to the prompt) instead of asking a model",
    showDefault: "none: the model answers",
  }),
  generation: {
    n: option({
      schema: z.number().int().min(1).max(10_000),
      flag: "--n <n>",
      help: "samples per task (pass@k is reported for each k <= n of 1, 5, 10)",
    }),
    greedy: option({
      schema: z.boolean(),
      flag: "--greedy",
      help: "greedy decoding: one sample per task at temperature 0 (as evalplus --greedy)",
      showDefault: (g) => `${onOff(g)}; --n 1 without --temperature is greedy too`,
    }),
    /** null: 0 (greedy) with n = 1, else SAMPLING_TEMPERATURE. */
    temperature: option({
      schema: z.number().min(0).max(2).nullable(),
      flag: "--temperature <t>",
      help: "sampling temperature",
      showDefault: `0 (greedy) with --n 1, else ${SAMPLING_TEMPERATURE}`,
    }),
    topP: option({
      schema: z.number().gt(0).max(1),
      flag: "--top-p <p>",
      help: "nucleus sampling when sampling (1 when greedy, as evalplus)",
    }),
    maxTokens: option({
      schema: z.number().int().min(16).max(1_000_000),
      flag: "--max-tokens <n>",
      help: "max tokens of a reply (a plan and its code must fit)",
    }),
    seed: option({
      schema: z.number().int().min(0).max(0xffffffff),
      flag: "--seed <n>",
      help: "seed of the per-sample request seeds",
    }),
    instruction: option({
      schema: z.string().min(1).nullable(),
      flag: "--instruction <which>",
      help: "ask as `sra export` trained: plan-1..plan-6 or code-1..code-6 (its instructions), none (the question alone), or your own text",
      showDefault: "none given: the eval-*.md prompts",
    }),
    promptStyle: option({
      schema: z.enum(PROMPT_STYLES),
      flag: "--prompt-style <style>",
      help: "MoTCoder's inference prompts: normal (ask for the code) or mot (modular-of-thought: sub-functions with one-line docstrings, then the code composing them); not with --instruction",
    }),
  },
  promptsDir: option({
    schema: z.string().min(1).nullable(),
    flag: "--prompts-dir <dir>",
    help: "directory with eval-code/eval-tests/eval-stdio/eval-instruction.md (with --prompt-style mot: eval-mot-code/eval-mot-tests/eval-mot-stdio.md for the first three)",
    showDefault: (dir) => dir ?? "built-in prompts/",
  }),
  input: {
    limit: option({
      schema: z.number().int().min(1).nullable(),
      flag: "--limit <n>",
      help: "only the first N tasks of each benchmark",
      showDefault: (n) => (n === null ? "all" : String(n)),
    }),
    /** Absolute path of an earlier eval's --out (or one benchmark's folder of it). */
    onlyUnsolved: option({
      schema: z.string().min(1).nullable(),
      flag: "--only-unsolved <dir>",
      help: "only the tasks an earlier eval (a --greedy run, say) did not solve: plus tests where the benchmark has them",
      showDefault: "all tasks",
    }),
  },
  datasets: {
    dir: option({
      schema: z.string().min(1).nullable(),
      flag: "--datasets-dir <dir>",
      help: "directory holding benchmark files under their usual names, searched before $SRA_DATASETS_DIR and the cache",
      showDefault: "none",
    }),
    url: option({
      schema: z.string().min(1).nullable(),
      flag: "--datasets-url <url>",
      help: "mirror to download benchmark files from, as <url>/<file name>",
      showDefault: "$SRA_DATASETS_URL, else pinned GitHub commits",
    }),
    cacheDir: option({
      schema: z.string().min(1).nullable(),
      flag: "--cache-dir <dir>",
      help: "sra's cache root: downloaded benchmarks (datasets/), the canonical solutions' expected outputs (expected/), models (models/)",
      showDefault: "$SRA_CACHE_DIR, else $XDG_CACHE_HOME/sra, else ~/.cache/sra",
    }),
  },
  execute: EXECUTE_SETTINGS,
  server: SERVER_SETTINGS,
  llamaCpp: LLAMA_CPP_SETTINGS,
  run: {
    concurrency: option({
      schema: z.number().int().min(1).max(100_000),
      flag: "--concurrency <n>",
      help: "samples being generated at once (the requests in flight are capped by --max-requests)",
    }),
    maxFailures: option({
      schema: maxFailuresSchema,
      flag: "--max-failures <n|fraction>",
      help: 'stop generating when more than N samples fail, or more than this share after 10 (0 < f < 1), or "none"',
      parse: parseMaxFailuresSetting,
    }),
  },
};

export const EVAL_SETTINGS = tableWithDefaults(EVAL_ROWS, readDefaults("eval"));
