/**
 * The LoRA SFT config for `llamafactory-cli train <file>`. Every key is one LLaMA-Factory accepts
 * (it aborts on an unknown key; test/export-anchors.test.ts checks them against the anchor list).
 * `dataset_dir` is an absolute path: LLaMA-Factory resolves a relative one against its own working
 * directory, so an absolute one works wherever training is started from. Pure: returns text.
 */
import { Document, isMap, isScalar, type ScalarTag } from "yaml";

export interface LoraConfigOptions {
  /** HF id or local path of the model to fine-tune. */
  modelNameOrPath: string;
  /** A registered LLaMA-Factory template that matches the model. */
  template: string;
  /** The dataset's name in dataset_info.json. */
  dataset: string;
  /** Absolute path of the directory holding dataset_info.json. */
  datasetDir: string;
  cutoffLen: number;
  loraRank: number;
  epochs: number;
  learningRate: number;
  outputDir: string;
  seed: number;
}

/** A float that must be written with a decimal point (see `formatPythonFloat`). */
class PyFloat {
  constructor(readonly value: number) {}
}

/**
 * A float as PyYAML (YAML 1.1, what LLaMA-Factory loads with) reads it back as a float: it needs a
 * "." and a signed exponent, so `1e-5` would load as the string "1e-5" and fail in training.
 */
export function formatPythonFloat(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  const s = String(n);
  if (!s.includes("e")) return s.includes(".") ? s : `${s}.0`;
  let [mantissa, exponent] = s.split("e") as [string, string];
  if (!mantissa.includes(".")) mantissa += ".0";
  if (!/^[+-]/.test(exponent)) exponent = `+${exponent}`;
  return `${mantissa}e${exponent}`;
}

const pyFloatTag: ScalarTag = {
  tag: "tag:yaml.org,2002:float",
  default: true,
  identify: (value) => value instanceof PyFloat,
  resolve: (text) => Number(text),
  stringify: (item) => formatPythonFloat((item.value as PyFloat).value),
};

type Section = { title: string; entries: [string, unknown][] };

/** The config as titled sections of ordered key/value pairs. */
export function loraConfigSections(o: LoraConfigOptions): Section[] {
  return [
    {
      title: "model",
      entries: [
        ["model_name_or_path", o.modelNameOrPath],
        ["trust_remote_code", true],
      ],
    },
    {
      title: "method",
      entries: [
        ["stage", "sft"],
        ["do_train", true],
        ["finetuning_type", "lora"],
        ["lora_rank", o.loraRank],
        ["lora_alpha", o.loraRank * 2],
        ["lora_target", "all"],
      ],
    },
    {
      title: "dataset",
      entries: [
        ["dataset", o.dataset],
        ["dataset_dir", o.datasetDir],
        ["template", o.template],
        ["cutoff_len", o.cutoffLen],
        ["overwrite_cache", true],
        ["preprocessing_num_workers", 16],
      ],
    },
    {
      title: "output",
      entries: [
        ["output_dir", o.outputDir],
        ["logging_steps", 10],
        ["save_steps", 500],
        ["plot_loss", true],
        ["overwrite_output_dir", true],
        ["report_to", "none"],
      ],
    },
    {
      title: "train",
      entries: [
        ["per_device_train_batch_size", 1],
        ["gradient_accumulation_steps", 8],
        ["learning_rate", new PyFloat(o.learningRate)],
        ["num_train_epochs", new PyFloat(o.epochs)],
        ["lr_scheduler_type", "cosine"],
        ["warmup_ratio", new PyFloat(0.1)],
        ["bf16", true],
        ["ddp_timeout", 180000000],
        ["seed", o.seed],
      ],
    },
  ];
}

/** The config as a plain object (floats as numbers), e.g. for tests and JSON reports. */
export function loraConfig(o: LoraConfigOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const section of loraConfigSections(o)) {
    for (const [key, value] of section.entries) out[key] = value instanceof PyFloat ? value.value : value;
  }
  return out;
}

/** The YAML text: a header comment, then `### section` comments over each group of keys. */
export function renderLoraYaml(o: LoraConfigOptions, header: readonly string[] = []): string {
  const sections = loraConfigSections(o);
  const flat: Record<string, unknown> = {};
  for (const section of sections) for (const [key, value] of section.entries) flat[key] = value;
  const doc = new Document(flat, { customTags: [pyFloatTag] });
  if (header.length > 0) doc.commentBefore = header.map((line) => (line === "" ? "" : ` ${line}`)).join("\n");
  const map = doc.contents;
  if (isMap(map)) {
    const firstKeys = new Map(sections.map((s) => [s.entries[0]![0], s.title]));
    map.items.forEach((pair, i) => {
      const key = pair.key;
      if (!isScalar(key)) return;
      const title = firstKeys.get(String(key.value));
      if (title === undefined) return;
      key.commentBefore = `## ${title}`;
      if (i > 0) key.spaceBefore = true;
    });
  }
  return doc.toString({ lineWidth: 0 });
}
