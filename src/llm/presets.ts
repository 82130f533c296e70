/**
 * Model presets (configs/models.json): the served model name, whether the chat template accepts a
 * system role (Gemma's does not: vLLM rejects such a request), default sampling, the LLaMA-Factory
 * template used at export, and the GGUF file the in-process engine downloads (a Hugging Face repo and
 * quantisation). Any other --model is used as the served model name as is.
 */
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { z } from "zod";
import { ConfigError, InputError } from "../errors.js";
import { packageRoot } from "../util/package-root.js";
import { parseJson } from "../util/parse-json.js";
import { formatZodIssues } from "../util/zod-issues.js";

/** A GGUF build of a model on Hugging Face: the repo and the quantisation (e.g. Q4_K_M) to download. */
export const ggufSourceSchema = z
  .object({
    repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "a Hugging Face repo: owner/name"),
    quant: z.string().regex(/^[\w.-]+$/, "a quantisation name, e.g. Q4_K_M"),
  })
  .strict();

export type GgufSource = z.infer<typeof ggufSourceSchema>;

export const presetSchema = z
  .object({
    description: z.string().default(""),
    servedModel: z.string().min(1),
    hfId: z.string().min(1),
    systemRole: z.boolean(),
    template: z.string().min(1),
    contextLength: z.number().int().positive(),
    /** What the in-process engine loads; absent: only --gguf PATH or a server can run this model. */
    gguf: ggufSourceSchema.optional(),
    sampling: z
      .object({
        temperature: z.number().min(0).max(2),
        topP: z.number().gt(0).max(1),
      })
      .strict(),
  })
  .strict();

export type PresetFields = z.infer<typeof presetSchema>;

export interface ModelPreset extends PresetFields {
  name: string;
  /** False for a name that is not a preset (used as the served model name as is). */
  known: boolean;
}

export const presetsFileSchema = z.record(z.string(), presetSchema);

export function defaultPresetsFile(): string {
  return path.join(packageRoot(), "configs", "models.json");
}

export async function loadPresets(file = defaultPresetsFile()): Promise<ModelPreset[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new InputError(`cannot read presets: ${(e as Error).message}`, { file });
  }
  const json = parseJson(text);
  if (!json.ok) throw new ConfigError([`invalid JSON: ${json.error}`], file);
  const parsed = presetsFileSchema.safeParse(json.value);
  if (!parsed.success) throw new ConfigError(formatZodIssues(parsed.error), file);
  return Object.entries(parsed.data).map(([name, fields]) => ({ name, known: true, ...fields }));
}

/**
 * A preset by name, or by its served/HF model id; otherwise an ad-hoc preset that uses the name as
 * the served model, allows a system role, and guesses the LLaMA-Factory template from the name.
 */
export function resolveModel(name: string, presets: readonly ModelPreset[]): ModelPreset {
  const found =
    presets.find((p) => p.name === name) ?? presets.find((p) => p.servedModel === name || p.hfId === name);
  if (found) return found;
  return {
    name,
    known: false,
    description: "not a preset: used as the served model name as is",
    servedModel: name,
    hfId: name,
    systemRole: !/gemma/i.test(name),
    template: guessTemplate(name),
    contextLength: 8192,
    sampling: { temperature: 0.7, topP: 0.95 },
  };
}

/** LLaMA-Factory's template for a model id, from its family name; "default" when unknown. */
export function guessTemplate(modelId: string): string {
  const id = modelId.toLowerCase();
  const rules: [RegExp, string][] = [
    [/gemma-?3/, "gemma3"],
    [/gemma-?2/, "gemma2"],
    [/gemma/, "gemma"],
    [/llama-?3|llama3/, "llama3"],
    [/llama-?2/, "llama2"],
    [/qwen3/, "qwen3"],
    [/qwen/, "qwen"],
    [/mistral|mixtral/, "mistral"],
    [/deepseek-?coder/, "deepseekcoder"],
    [/deepseek/, "deepseek"],
    [/phi/, "phi"],
  ];
  for (const [re, template] of rules) if (re.test(id)) return template;
  return "default";
}
