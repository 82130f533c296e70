/**
 * `sra export`: a run's samples (or a reference file) to a fine-tuning dataset. Reads the input as a
 * stream, turns each record into a training pair (pure, in content.ts), formats it (pure, formats/),
 * and writes every file through writer.ts. The same input, options and seed give the same bytes.
 */
import { readFile, rmdir } from "node:fs/promises";
import * as path from "node:path";
import { cannotReadError, InputError, UsageError } from "../errors.js";
import { defaultPresetsFile, loadPresets } from "../llm/presets.js";
import type { Sample } from "../types.js";
import { prepareOutputDir } from "../util/output-dir.js";
import { parseJson } from "../util/parse-json.js";
import { readTextIfExists } from "../util/read-text.js";
import { createRng } from "../util/rng.js";
import { type BaseModelChoice, chooseBaseModel, templateWarning } from "./base-model.js";
import { buildPair, type TrainingPair, userText } from "./content.js";
import {
  DatasetInfoShapeError,
  datasetInfoEntry,
  type LlamaFactoryStyle,
  mergeDatasetInfo,
  renderDatasetInfo,
} from "./dataset-info.js";
import { EXPORT_DEFAULTS, type ExportFormat } from "./defaults.js";
import { toAlpacaRecord } from "./formats/alpaca.js";
import { toSampleRecord } from "./formats/jsonl.js";
import { toOpenAiRecord } from "./formats/openai.js";
import { renderJsonArray, renderJsonLines } from "./formats/serialize.js";
import { toShareGptRecord } from "./formats/sharegpt.js";
import {
  type InstructionSet,
  instructionsFor,
  parseInstructionFile,
  pickInstruction,
} from "./instructions.js";
import { renderLoraYaml } from "./lora-config.js";
import { type ExportInput, type InputKind, readExportItems, resolveInput } from "./read-input.js";
import { estimateTokens, TEMPLATE_OVERHEAD_TOKENS } from "./tokens.js";
import { type OutputFile, writeOutputFiles } from "./writer.js";

export { EXPORT_DEFAULTS, EXPORT_FORMATS, type ExportFormat, LLAMAFACTORY_STYLES } from "./defaults.js";

/** How many over-length sample ids a report names. */
const OVER_LENGTH_SHOWN = 5;

export interface ExportOptions {
  format: ExportFormat;
  /** A run directory, a samples.jsonl file or a reference {question, solution} file. */
  input: string;
  /** The output directory (created when missing). */
  out: string;
  /** Dataset name: file names and the dataset_info.json key. Default: see `defaultDatasetName`. */
  name?: string | undefined;
  /** Model to fine-tune (preset or HF id). Default: the run's model. llamafactory only. */
  baseModel?: string | undefined;
  /** LLaMA-Factory template, overriding the base model's. llamafactory only. */
  template?: string | undefined;
  /** llamafactory only; default alpaca. */
  style?: LlamaFactoryStyle | undefined;
  /** False: code-only responses (the plan ablation). Default true. */
  withPlan?: boolean | undefined;
  /** "default", "none" or a file with one instruction per line. Default "default". */
  instructionSet?: string | undefined;
  seed?: number | undefined;
  loraRank?: number | undefined;
  epochs?: number | undefined;
  learningRate?: number | undefined;
  cutoffLen?: number | undefined;
  /** LLaMA-Factory output_dir. Default saves/<base model>/lora/<name>. */
  outputDir?: string | undefined;
  /**
   * Only samples whose code passed their problem's own tests (`meta.tests.status` "pass", from
   * generate's code checks); samples without tests are left out too. Runs only, not reference files.
   */
  onlyPassing?: boolean | undefined;
  presetsFile?: string | undefined;
  /** Relative paths are resolved against this (default: process.cwd()). */
  cwd?: string | undefined;
}

export interface ExportReport {
  format: ExportFormat;
  inputKind: InputKind;
  input: string;
  name: string;
  withPlan: boolean;
  style?: LlamaFactoryStyle;
  instructionSet: InstructionSet["kind"];
  files: { dataset: string; datasetInfo?: string; config?: string };
  /** Records read from the input. */
  read: number;
  /** Records written. */
  written: number;
  skipped: {
    noCode: number;
    noPlan: number;
    duplicate: number;
    /** --only-passing: samples whose code failed (or timed out on) its tests, and samples without tests. */
    notPassing?: number;
    untested?: number;
  };
  /** Samples estimated to be longer than cutoff_len (llamafactory only). */
  overLength: { count: number; ids: string[]; cutoffLen: number; maxTokens: number };
  baseModel?: BaseModelChoice;
  /**
   * The written samples' code styles (meta.codeStyle, --code-style of generate; samples from before
   * the flag count as plain); empty for a reference file.
   */
  codeStyles: Record<string, number>;
  warnings: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function checkDatasetName(name: string): void {
  if (!NAME.test(name)) {
    throw new UsageError(
      `--name must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit (got "${name}")`,
    );
  }
}

/**
 * sra_<strategy> for a run (sra_<strategy>_modular for a --code-style modular run), the file's name
 * (without extension) for a reference file, with _noplan added for the ablation, so the datasets of
 * a comparison can share one directory.
 */
export function defaultDatasetName(
  input: Pick<ExportInput, "kind" | "file" | "runConfig">,
  withPlan: boolean,
): string {
  const base =
    input.kind === "reference"
      ? path.basename(input.file).replace(/\.[^.]*$/, "")
      : `sra_${input.runConfig?.strategy ?? "mcts"}${input.runConfig?.codeStyle === "modular" ? "_modular" : ""}`;
  const safe =
    base
      .replace(/[^A-Za-z0-9._-]+/g, "_")
      .replace(/^[^A-Za-z0-9]+/, "")
      .slice(0, 90) || "sra";
  return withPlan ? safe : `${safe}_noplan`;
}

async function loadInstructionSet(value: string, cwd: string): Promise<InstructionSet> {
  if (value === "default") return { kind: "default" };
  if (value === "none") return { kind: "none" };
  const file = path.resolve(cwd, value);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw cannotReadError(
      e,
      "instruction file",
      { file: value },
      { hint: '--instruction-set takes "default", "none" or a file with one instruction per line' },
    );
  }
  const instructions = parseInstructionFile(text);
  if (instructions.length === 0)
    throw new InputError("the instruction file has no instructions", { file: value });
  return { kind: "file", file, instructions };
}

async function readExistingDatasetInfo(file: string): Promise<unknown> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  const hint = "fix the file or move it away; sra keeps every other entry of a valid one";
  const parsed = parseJson(text.replace(/^\uFEFF/, ""));
  if (!parsed.ok)
    throw new InputError(`existing dataset_info.json is not valid JSON: ${parsed.error}`, { file }, { hint });
  // Validate the shape now, before anything is written.
  try {
    mergeDatasetInfo(parsed.value, "-", datasetInfoEntry("-", "alpaca"));
  } catch (e) {
    if (e instanceof DatasetInfoShapeError)
      throw new InputError(`existing dataset_info.json: ${e.message}`, { file }, { hint });
    throw e;
  }
  return parsed.value;
}

/**
 * Create --out and prove it takes a write before anything is formatted: a path under a file, a
 * read-only file system or a full disk is an OutputError naming --out (not a bare ENOTDIR).
 */
async function ensureOutDir(out: string): Promise<void> {
  const { created } = await prepareOutputDir(out, "--out");
  // No trace until there is something to write: a failure further on leaves no empty directory
  // (the writes create it again).
  if (created) await rmdir(out).catch(() => undefined);
}

function slug(text: string): string {
  const last =
    text
      .split("/")
      .filter((s) => s !== "")
      .pop() ?? text;
  return last.toLowerCase().replace(/[^a-z0-9._-]+/g, "-");
}

/** Turn the input into formatted records; pure apart from reading the input stream. */
async function collectPairs(
  input: ExportInput,
  options: {
    withPlan: boolean;
    instructions: readonly string[];
    seed: number;
    keepSamples: boolean;
    onlyPassing: boolean;
  },
): Promise<{
  pairs: TrainingPair[];
  samples: Sample[];
  read: number;
  skipped: ExportReport["skipped"];
  firstModel: string | undefined;
  codeStyles: Record<string, number>;
}> {
  const rng = createRng(options.seed);
  const codeStyles: Record<string, number> = {};
  const seen = new Set<string>();
  const pairs: TrainingPair[] = [];
  const samples: Sample[] = [];
  const skipped: ExportReport["skipped"] = {
    noCode: 0,
    noPlan: 0,
    duplicate: 0,
    ...(options.onlyPassing ? { notPassing: 0, untested: 0 } : {}),
  };
  let read = 0;
  let firstModel: string | undefined;
  for await (const { item, sample } of readExportItems(input)) {
    read++;
    firstModel ??= sample?.meta.model;
    if (seen.has(item.id)) {
      skipped.duplicate++;
      continue;
    }
    seen.add(item.id);
    if (options.onlyPassing) {
      const status = sample?.meta.tests?.status;
      if (status === undefined) skipped.untested = (skipped.untested ?? 0) + 1;
      else if (status !== "pass") skipped.notPassing = (skipped.notPassing ?? 0) + 1;
      if (status !== "pass") continue;
    }
    const instruction = pickInstruction(rng.fork(item.id), options.instructions);
    const result = buildPair(item, { withPlan: options.withPlan, instruction });
    if (!result.ok) {
      if (result.reason === "no-code") skipped.noCode++;
      else skipped.noPlan++;
      continue;
    }
    pairs.push(result.pair);
    if (sample) {
      const codeStyle = sample.meta.codeStyle ?? "plain";
      codeStyles[codeStyle] = (codeStyles[codeStyle] ?? 0) + 1;
    }
    // Whole Sample records are kept only for --format jsonl, which writes them.
    if (sample && options.keepSamples) samples.push(sample);
  }
  return { pairs, samples, read, skipped, firstModel, codeStyles };
}

export async function exportDataset(options: ExportOptions): Promise<ExportReport> {
  const cwd = options.cwd ?? process.cwd();
  const withPlan = options.withPlan ?? true;
  const seed = options.seed ?? EXPORT_DEFAULTS.seed;
  const cutoffLen = options.cutoffLen ?? EXPORT_DEFAULTS.cutoffLen;
  const style = options.style ?? EXPORT_DEFAULTS.style;
  const warnings: string[] = [];
  if (options.format !== "llamafactory" && options.style !== undefined) {
    throw new UsageError(`--style applies to --format llamafactory only (got --format ${options.format})`);
  }
  if (options.name !== undefined) checkDatasetName(options.name);

  const instructionSet = await loadInstructionSet(
    options.instructionSet ?? EXPORT_DEFAULTS.instructionSet,
    cwd,
  );
  const input = await resolveInput(path.resolve(cwd, options.input));
  if (options.onlyPassing && input.kind === "reference") {
    throw new UsageError(
      "--only-passing keeps samples that passed their tests, and a reference file has none",
      {
        hint: "export a run directory whose problems carried tests (generate runs them)",
      },
    );
  }
  if (options.format === "jsonl" && input.kind === "reference") {
    throw new UsageError("--format jsonl writes sra Sample records, and a reference file has none", {
      hint: "use --format llamafactory, sharegpt or openai for a reference file",
    });
  }
  const out = path.resolve(cwd, options.out);
  await ensureOutDir(out);
  const name = options.name ?? defaultDatasetName(input, withPlan);

  // Choose the model before reading the data, so a bad --base-model/--template fails at once. The
  // samples' own model name is only needed when there is no config.json.
  const presets =
    options.format === "llamafactory" ? await loadPresets(options.presetsFile ?? defaultPresetsFile()) : [];
  const choose = (sampleModel: string | undefined) =>
    chooseBaseModel({
      baseModel: options.baseModel,
      template: options.template,
      runConfig: input.runConfig,
      sampleModel,
      presets,
    });
  let baseModel: BaseModelChoice | undefined;
  const canChooseEarly =
    options.baseModel !== undefined ||
    input.runConfig?.model !== undefined ||
    input.runConfig?.servedModel !== undefined;
  if (options.format === "llamafactory" && (canChooseEarly || input.kind === "reference")) {
    baseModel = choose(undefined);
  }

  const collected = await collectPairs(input, {
    withPlan,
    instructions: instructionsFor(instructionSet, withPlan),
    seed,
    keepSamples: options.format === "jsonl",
    onlyPassing: options.onlyPassing ?? false,
  });
  const { pairs, skipped } = collected;
  if (pairs.length === 0) {
    const why =
      collected.read === 0
        ? "the input has no records"
        : `all ${collected.read} records were skipped (${skipped.noCode} without code, ${skipped.noPlan} without a plan, ${skipped.duplicate} duplicates` +
          (options.onlyPassing
            ? `, ${skipped.notPassing} failing their tests, ${skipped.untested} without tests (--only-passing)`
            : "") +
          ")";
    throw new InputError(`nothing to export: ${why}`, { file: input.file });
  }
  if (options.format === "llamafactory" && baseModel === undefined) baseModel = choose(collected.firstModel);
  const templateNote = baseModel ? templateWarning(baseModel) : undefined;
  if (templateNote) warnings.push(templateNote);

  const overLength = { count: 0, ids: [] as string[], cutoffLen, maxTokens: 0 };
  const files: OutputFile[] = [];
  const report: ExportReport = {
    format: options.format,
    inputKind: input.kind,
    input: input.file,
    name,
    withPlan,
    instructionSet: instructionSet.kind,
    files: { dataset: "" },
    read: collected.read,
    written: pairs.length,
    skipped,
    overLength,
    codeStyles: collected.codeStyles,
    warnings,
  };

  switch (options.format) {
    case "llamafactory": {
      const chosen = baseModel!;
      const lf = await llamaFactoryOutputs({
        options,
        out,
        name,
        pairs,
        style,
        withPlan,
        seed,
        chosen,
        overLength,
      });
      files.push(...lf.files);
      report.files = lf.paths;
      report.style = style;
      report.baseModel = chosen;
      break;
    }
    case "sharegpt": {
      const file = path.join(out, `${name}.json`);
      files.push({ path: file, content: renderJsonArray(pairs.map(toShareGptRecord)) });
      report.files = { dataset: file };
      break;
    }
    case "openai": {
      const file = path.join(out, `${name}.jsonl`);
      files.push({ path: file, content: renderJsonLines(pairs.map(toOpenAiRecord)) });
      report.files = { dataset: file };
      break;
    }
    case "jsonl": {
      const file = path.join(out, `${name}.jsonl`);
      files.push({
        path: file,
        content: renderJsonLines(collected.samples.map((s) => toSampleRecord(s, withPlan))),
      });
      report.files = { dataset: file };
      break;
    }
  }
  await writeOutputFiles(files);
  return report;
}

/**
 * --format llamafactory: the dataset, its LoRA SFT yaml, and dataset_info.json with this dataset's
 * entry merged in; over-long samples are counted into `overLength`.
 */
async function llamaFactoryOutputs(o: {
  options: ExportOptions;
  out: string;
  name: string;
  pairs: TrainingPair[];
  style: LlamaFactoryStyle;
  withPlan: boolean;
  seed: number;
  chosen: BaseModelChoice;
  overLength: ExportReport["overLength"];
}): Promise<{ files: OutputFile[]; paths: ExportReport["files"] }> {
  const { options, out, name, pairs, style, withPlan, seed, chosen, overLength } = o;
  const cutoffLen = overLength.cutoffLen;
  const files: OutputFile[] = [];
  for (const pair of pairs) {
    const tokens = estimateTokens(userText(pair)) + estimateTokens(pair.response) + TEMPLATE_OVERHEAD_TOKENS;
    overLength.maxTokens = Math.max(overLength.maxTokens, tokens);
    if (tokens > cutoffLen) {
      overLength.count++;
      if (overLength.ids.length < OVER_LENGTH_SHOWN) overLength.ids.push(pair.id);
    }
  }
  const datasetFile = path.join(out, `${name}.json`);
  const records = style === "alpaca" ? pairs.map(toAlpacaRecord) : pairs.map(toShareGptRecord);
  files.push({ path: datasetFile, content: renderJsonArray(records) });
  const configFile = path.join(out, `${name}_lora_sft.yaml`);
  const header = [
    `LoRA SFT of ${chosen.modelNameOrPath} on "${name}" (${pairs.length} samples, ${style}, ${withPlan ? "plan + code" : "code only"}), written by sra export.`,
    `Train with: llamafactory-cli train ${configFile}`,
    "dataset_dir is absolute because LLaMA-Factory resolves a relative one against its working directory.",
  ];
  files.push({
    path: configFile,
    content: renderLoraYaml(
      {
        modelNameOrPath: chosen.modelNameOrPath,
        template: chosen.template,
        dataset: name,
        datasetDir: out,
        cutoffLen,
        loraRank: options.loraRank ?? EXPORT_DEFAULTS.loraRank,
        epochs: options.epochs ?? EXPORT_DEFAULTS.epochs,
        learningRate: options.learningRate ?? EXPORT_DEFAULTS.learningRate,
        outputDir: options.outputDir ?? `saves/${slug(chosen.name)}/lora/${name}`,
        seed,
      },
      header,
    ),
  });
  const infoFile = path.join(out, "dataset_info.json");
  const existing = await readExistingDatasetInfo(infoFile);
  const merged = mergeDatasetInfo(existing, name, datasetInfoEntry(path.basename(datasetFile), style));
  files.push({ path: infoFile, content: renderDatasetInfo(merged) });
  return { files, paths: { dataset: datasetFile, config: configFile, datasetInfo: infoFile } };
}
