import * as path from "node:path";
import { InputError } from "../errors.js";
import { parseJson } from "../util/parse-json.js";
import { readTextIfExists } from "../util/read-text.js";

export interface RunConfigInfo {
  file: string;
  /** The model preset name (or the model id the run was started with): `model.preset`, or `model.name`. */
  preset?: string;
  servedModel?: string;
  /** The LLaMA-Factory template resolved for the run's model. */
  template?: string;
  strategy?: string;
}

function stringAt(value: unknown, ...keys: string[]): string | undefined {
  let v = value;
  for (const key of keys) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return typeof v === "string" && v.trim() !== "" ? v : undefined;
}

/** The picked fields of `<dir>/config.json`, or undefined when there is no such file. */
export async function readRunConfig(dir: string): Promise<RunConfigInfo | undefined> {
  const file = path.join(dir, "config.json");
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  const json = parseJson(text);
  if (!json.ok) throw new InputError(`invalid JSON: ${json.error}`, { file });
  const v = json.value;
  const info: RunConfigInfo = { file };
  // `sra generate` writes the --model value as `model.name`; `model.preset` is accepted too.
  const preset = stringAt(v, "model", "preset") ?? stringAt(v, "model", "name");
  const servedModel = stringAt(v, "model", "servedModel");
  const template = stringAt(v, "model", "template");
  const strategy = stringAt(v, "strategy");
  if (preset) info.preset = preset;
  if (servedModel) info.servedModel = servedModel;
  if (template) info.template = template;
  if (strategy) info.strategy = strategy;
  return info;
}
