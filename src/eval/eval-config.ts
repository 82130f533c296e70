/**
 * `sra eval`'s resolved config: the option table's defaults (src/eval/eval-settings.ts), the
 * environment ($OPENAI_BASE_URL), a --config file, then the flags; the model preset; and the rules
 * between settings (--samples or a model, --greedy or sampling). Each benchmark's folder holds it as
 * config.json, with the benchmark file and its sha256, and a rerun into the folder must agree on every
 * setting that changes results (EVAL_RESULT_FIELDS), as a resumed generate must.
 */
import * as path from "node:path";
import { z } from "zod";
import { ConfigError, UsageError } from "../errors.js";
import { DEFAULT_PARALLEL } from "../llm/llama-cpp/defaults.js";
import { type EngineName, engineSchema, IN_PROCESS_DEFAULTS } from "../llm/llm-settings.js";
import type { ModelPreset } from "../llm/presets.js";
import {
  IN_PROCESS_RESULT_FIELDS,
  modelSectionSchema,
  resolveEngine,
  resolveModelSection,
  type Settings,
} from "../run/config.js";
import {
  flagsByPath,
  partialTableSchema,
  tableDefaults,
  tableEntries,
  tableSchema,
  valueAt,
} from "../util/option-table.js";
import { layersIssuesError, mergeLayers, readSettingsFile } from "../util/settings-layers.js";
import { EVAL_SETTINGS, SAMPLING_TEMPERATURE } from "./eval-settings.js";
import { PROMPT_STYLES, type PromptStyle } from "./prompt-styles.js";
import { resolveInstruction } from "./prompts.js";

export const EVAL_CONFIG_VERSION = 1;

const {
  model: _model,
  servedModel: _servedModel,
  engine: _engine,
  samples: _samples,
  generation: _generation,
  promptsDir: _promptsDir,
  ...PLAIN_SECTIONS
} = EVAL_SETTINGS;
/** The sections config.json holds as the table states them. */
const plainSchema = tableSchema(PLAIN_SECTIONS);
const sections = plainSchema.shape;

export const generationSectionSchema = z
  .object({
    n: z.number().int().min(1),
    /** Temperature 0: one deterministic sample per task. */
    greedy: z.boolean(),
    temperature: z.number().min(0).max(2),
    topP: z.number().gt(0).max(1),
    maxTokens: z.number().int().min(1),
    seed: z.number().int().min(0),
    /** The instruction text of --instruction ("" for none), or null: the eval-*.md prompts. */
    instruction: z.string().nullable(),
    /** --prompt-style: which eval-*.md prompts ask (absent in folders scored before it: normal). */
    promptStyle: z.enum(PROMPT_STYLES).default("normal"),
  })
  .strict();
export type GenerationParams = z.infer<typeof generationSectionSchema>;

export const evalConfigSchema = z
  .object({
    version: z.literal(EVAL_CONFIG_VERSION),
    sraVersion: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    /** "model": the model answers each task; "samples": --samples FILE is evaluated as it is. */
    source: z.enum(["model", "samples"]),
    benchmarks: sections.benchmarks,
    /** Which engine runs the model; null with --samples (no model). */
    engine: engineSchema.nullable(),
    model: modelSectionSchema.nullable(),
    samples: z.object({ file: z.string(), sha256: z.string() }).strict().nullable(),
    generation: generationSectionSchema.nullable(),
    prompts: z.object({ dir: z.string().nullable(), hash: z.string() }).strict().nullable(),
    input: sections.input,
    datasets: sections.datasets,
    execute: sections.execute,
    server: sections.server,
    llamaCpp: sections.llamaCpp,
    run: sections.run,
  })
  .strict();
export type EvalConfig = z.infer<typeof evalConfigSchema>;

/** What a --config file and the flags may set: every setting of the table, each optional. */
export const evalSettingsSchema = partialTableSchema(EVAL_SETTINGS);
export type EvalSettings = z.infer<typeof evalSettingsSchema>;

export const EVAL_FLAG_FOR_PATH: Readonly<Record<string, string>> = {
  ...flagsByPath(tableEntries(EVAL_SETTINGS)),
  "model.servedModel": "--served-model",
};

/**
 * Settings that change a benchmark folder's samples or verdicts: a rerun into the folder must agree
 * on them. The rest may change on a rerun: speed (workers, concurrency, servers), and which samples
 * (--n, --limit, --only-unsolved), since each sample is keyed by task and index and seeded by them.
 */
export const EVAL_RESULT_FIELDS = [
  "source",
  "engine",
  "benchmark.sha256",
  "model.servedModel",
  "model.systemRole",
  "samples.sha256",
  "generation.temperature",
  "generation.topP",
  "generation.maxTokens",
  "generation.seed",
  "generation.instruction",
  "generation.promptStyle",
  "prompts.hash",
] as const;

/**
 * A saved config.json as the settings it was made with: a folder scored before --prompt-style has no
 * `generation.promptStyle`, and was asked with the normal prompts.
 */
export function withSavedDefaults(raw: unknown): unknown {
  if (typeof raw !== "object" || raw === null) return raw;
  const generation = (raw as { generation?: unknown }).generation;
  if (typeof generation !== "object" || generation === null || "promptStyle" in generation) return raw;
  return { ...raw, generation: { ...generation, promptStyle: "normal" } };
}

/** The result fields of a folder scored with this engine (in process: the model file, the context). */
export function evalResultFields(engine: EngineName | null | undefined): string[] {
  return engine === "llama-cpp"
    ? [...EVAL_RESULT_FIELDS, ...IN_PROCESS_RESULT_FIELDS]
    : [...EVAL_RESULT_FIELDS];
}

/** The defaults that differ in process (a request deadline of an hour, 2 samples per sequence). */
function inProcessLayer(engine: EngineName | null, flags: EvalSettings, file?: EvalSettings): EvalSettings {
  if (engine !== "llama-cpp") return {};
  const parallel = flags.llamaCpp?.parallel ?? file?.llamaCpp?.parallel ?? DEFAULT_PARALLEL;
  return {
    server: { timeoutSec: IN_PROCESS_DEFAULTS.timeoutSec },
    run: { concurrency: IN_PROCESS_DEFAULTS.problemsPerSequence * parallel },
  };
}

export interface ResolveEvalInput {
  flags: EvalSettings;
  /** --config file (validated), if any, its paths resolved against its directory. */
  file?: EvalSettings;
  env: Record<string, string | undefined>;
  resolveModel: (name: string) => ModelPreset;
  sraVersion: string;
  now: Date;
}

/** Read a --config file for eval, its relative paths resolved against the file's directory. */
export async function readEvalSettingsFile(file: string): Promise<EvalSettings> {
  const s = await readSettingsFile(file, evalSettingsSchema);
  const base = path.dirname(file);
  const at = (p: string | null | undefined) => (typeof p === "string" ? path.resolve(base, p) : p);
  return {
    ...s,
    ...(s.samples !== undefined ? { samples: at(s.samples) } : {}),
    ...(s.promptsDir !== undefined ? { promptsDir: at(s.promptsDir) } : {}),
    ...(s.input ? { input: { ...s.input, onlyUnsolved: at(s.input.onlyUnsolved) } } : {}),
    ...(s.datasets
      ? { datasets: { ...s.datasets, dir: at(s.datasets.dir), cacheDir: at(s.datasets.cacheDir) } }
      : {}),
  };
}

/** The generation flags given in a layer (they make no sense with --samples). */
function generationFlagsGiven(layer: EvalSettings | undefined): string[] {
  if (!layer) return [];
  const given = [
    ...Object.keys(layer.generation ?? {}).map((k) => `generation.${k}`),
    ...(layer.promptsDir !== undefined ? ["promptsDir"] : []),
  ];
  return given.map((p) => EVAL_FLAG_FOR_PATH[p] ?? p);
}

function resolveGeneration(merged: Record<string, unknown>, flags: EvalSettings): GenerationParams {
  const g = (merged.generation ?? {}) as {
    n: number;
    greedy: boolean;
    temperature: number | null;
    topP: number;
    maxTokens: number;
    seed: number;
    instruction: string | null;
    promptStyle: PromptStyle;
  };
  if (g.instruction !== null && g.promptStyle !== "normal") {
    throw new UsageError(
      `--prompt-style ${g.promptStyle} and --instruction both say how to ask: give one of them`,
      {
        hint: "--instruction asks as sra export trained the model; --prompt-style mot asks with MoTCoder's modular prompt",
      },
    );
  }
  const nGiven = flags.generation?.n !== undefined;
  let { n, temperature } = g;
  if (g.greedy) {
    if (nGiven && n > 1) {
      throw new UsageError(`--greedy takes one sample per task: leave out --n ${n}`, {
        hint: `for pass@k with k > 1, sample: --n ${n} --temperature ${SAMPLING_TEMPERATURE}`,
      });
    }
    if (temperature !== null && temperature !== 0) {
      throw new UsageError(`--greedy decodes at temperature 0: leave out --temperature ${temperature}`);
    }
    n = 1;
    temperature = 0;
  }
  temperature ??= n === 1 ? 0 : SAMPLING_TEMPERATURE;
  if (n > 1 && temperature === 0) {
    throw new UsageError(
      `--n ${n} at temperature 0 would make ${n} copies of one sample, so pass@k would equal pass@1`,
      {
        hint: `sample with --temperature ${SAMPLING_TEMPERATURE} (or leave it out), or use --greedy for pass@1`,
      },
    );
  }
  const greedy = temperature === 0;
  return {
    n,
    greedy,
    temperature,
    // evalplus decodes greedily with top-p 1 and samples with 0.95.
    topP: greedy ? 1 : g.topP,
    maxTokens: g.maxTokens,
    seed: g.seed,
    instruction: g.instruction === null ? null : resolveInstruction(g.instruction),
    promptStyle: g.promptStyle,
  };
}

/**
 * Resolve the layers into an EvalConfig; `prompts.hash` and `samples.sha256` are left empty for the
 * caller, who reads those files. Throws UsageError (exit 2) for settings that contradict each other,
 * ConfigError or UsageError naming the flag for a bad value.
 */
export function resolveEvalConfig(input: ResolveEvalInput): EvalConfig {
  const envBase = input.env.OPENAI_BASE_URL?.trim();
  const samplesSetting = input.flags.samples ?? input.file?.samples ?? null;
  // A model runs only without --samples: then the engine by generate's rule.
  const engine = samplesSetting === null ? resolveEngine(input.flags, input.file, input.env) : null;
  const merged = mergeLayers(
    tableDefaults(EVAL_SETTINGS),
    envBase ? { server: { baseUrls: [envBase] } } : {},
    inProcessLayer(engine, input.flags, input.file),
    input.file ?? {},
    input.flags,
  );
  if (valueAt(merged, "benchmarks") === undefined) {
    throw new UsageError(
      "--benchmarks is required: humaneval, humaneval-plus, mbpp, mbpp-plus or a path.jsonl, comma-separated",
    );
  }
  // Every value checked by its row (ranges, types), with messages naming the flag; the model rows
  // may be absent (--samples), the rest all have a value by now.
  const checked = z
    .object({
      ...partialTableSchema(EVAL_SETTINGS).shape,
      ...plainSchema.shape,
      generation: tableSchema(EVAL_SETTINGS.generation),
    })
    .strict()
    .safeParse(merged);
  if (!checked.success) throw layersIssuesError(checked.error, input.flags, EVAL_FLAG_FOR_PATH);
  const samples = (merged.samples as string | null | undefined) ?? null;
  // The server first: without one, a missing --model is not the first thing to fix.
  if (engine === "openai" && (valueAt(merged, "server.baseUrls") as string[]).length === 0) {
    throw new UsageError(
      "--engine openai needs a server: give --base-url URL (or set $OPENAI_BASE_URL), or leave --engine out to run the model in process",
    );
  }
  const model = resolveModelSection(
    input.flags as Pick<Settings, "model" | "servedModel" | "llamaCpp">,
    input.file as Pick<Settings, "model" | "servedModel" | "llamaCpp"> | undefined,
    // With --samples no model runs: only a named one is looked for (and refused).
    engine ?? "openai",
    input.resolveModel,
  );
  if (samples !== null) {
    if (model) {
      throw new UsageError("--samples evaluates samples that exist: leave out --model", {
        hint: "to have a model answer, leave out --samples",
      });
    }
    const given = [...generationFlagsGiven(input.flags), ...generationFlagsGiven(input.file)];
    if (given.length > 0) {
      throw new UsageError(
        `${[...new Set(given)].join(", ")}: only for samples a model generates, not with --samples`,
      );
    }
  } else if (!model) {
    throw new UsageError(
      '--model is required with a server: a preset (see "sra models") or a served model name; or pass --samples FILE to evaluate samples that exist',
    );
  }
  const promptsDir = (merged.promptsDir as string | null | undefined) ?? null;
  const now = input.now.toISOString();
  const candidate = {
    version: EVAL_CONFIG_VERSION,
    sraVersion: input.sraVersion,
    createdAt: now,
    updatedAt: now,
    source: samples === null ? "model" : "samples",
    engine,
    benchmarks: merged.benchmarks,
    model: model?.section ?? null,
    samples: samples === null ? null : { file: path.resolve(samples), sha256: "" },
    generation: samples === null ? resolveGeneration(merged, input.flags) : null,
    prompts:
      samples === null ? { dir: promptsDir === null ? null : path.resolve(promptsDir), hash: "" } : null,
    input: absolutePaths(merged.input as EvalConfig["input"]),
    datasets: datasetsOf(merged.datasets as EvalConfig["datasets"]),
    execute: merged.execute,
    server: merged.server,
    llamaCpp: llamaCppOf(merged.llamaCpp as EvalConfig["llamaCpp"]),
    run: merged.run,
  };
  const parsed = evalConfigSchema.safeParse(candidate);
  if (!parsed.success) throw layersIssuesError(parsed.error, input.flags, EVAL_FLAG_FOR_PATH);
  return parsed.data;
}

function absolutePaths(input: EvalConfig["input"]): EvalConfig["input"] {
  return { ...input, onlyUnsolved: input.onlyUnsolved === null ? null : path.resolve(input.onlyUnsolved) };
}

function llamaCppOf(l: EvalConfig["llamaCpp"]): EvalConfig["llamaCpp"] {
  return { ...l, gguf: l.gguf === null ? null : path.resolve(l.gguf) };
}

function datasetsOf(d: EvalConfig["datasets"]): EvalConfig["datasets"] {
  return {
    dir: d.dir === null ? null : path.resolve(d.dir),
    url: d.url,
    cacheDir: d.cacheDir === null ? null : path.resolve(d.cacheDir),
  };
}

/** A config error naming the file, for a benchmark folder whose config.json is not an object. */
export function damagedConfigError(file: string, why: string): ConfigError {
  return new ConfigError([`not a JSON object: ${why}`], file, {
    hint: "the folder's config.json is damaged; restore it or write to a new --out directory",
  });
}
