/** `sra export` flags -> ExportCommandOptions; runExport (src/commands/export.ts) is imported when it runs. */
import { Command, InvalidArgumentError } from "commander";
import type { LlamaFactoryStyle } from "../export/dataset-info.js";
import {
  EXPORT_DEFAULTS,
  EXPORT_FORMATS,
  type ExportFormat,
  LLAMAFACTORY_STYLES,
} from "../export/defaults.js";
import type { LogLevel } from "../util/logger.js";
import { choiceOption, floatOption, intOption, logLevelOption } from "./options.js";

interface ExportFlags {
  format: ExportFormat;
  input: string;
  out: string;
  name?: string;
  baseModel?: string;
  template?: string;
  style?: LlamaFactoryStyle;
  plan: boolean;
  instructionSet: string;
  seed: number;
  loraRank: number;
  epochs: number;
  lr: number;
  cutoffLen: number;
  outputDir?: string;
  onlyPassing?: boolean;
  logLevel: LogLevel;
}

function nameOption(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(value)) {
    throw new InvalidArgumentError(
      `--name must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit (got "${value}")`,
    );
  }
  return value;
}

function nonEmpty(flag: string) {
  return (value: string): string => {
    if (value.trim() === "") throw new InvalidArgumentError(`${flag} must not be empty`);
    return value;
  };
}

export function exportCommand(): Command {
  return new Command("export")
    .description(
      "Write a run's samples (or the reference implementation's published data) as a fine-tuning dataset:\n" +
        "LLaMA-Factory (dataset, dataset_info.json entry, LoRA SFT yaml), sharegpt, openai or sra JSONL.",
    )
    .requiredOption(
      "--format <format>",
      `output format: ${EXPORT_FORMATS.join(", ")} (required)`,
      choiceOption("--format", EXPORT_FORMATS),
    )
    .requiredOption(
      "--input <path>",
      "a run directory, its samples.jsonl, or a reference {question, solution} .json file (required)",
      nonEmpty("--input"),
    )
    .requiredOption("--out <dir>", "output directory, created when missing (required)", nonEmpty("--out"))
    .option(
      "--name <name>",
      "dataset name (default: sra_<strategy>, or a reference file's name; _noplan added with --no-plan)",
      nameOption,
    )
    .option(
      "--base-model <model>",
      "model to fine-tune, a preset or a Hugging Face id (default: the run's model; required for a reference file)",
      nonEmpty("--base-model"),
    )
    .option(
      "--template <name>",
      "LLaMA-Factory chat template (default: the base model's)",
      nonEmpty("--template"),
    )
    .option(
      "--style <style>",
      `llamafactory dataset style: ${LLAMAFACTORY_STYLES.join(", ")} (default: ${EXPORT_DEFAULTS.style})`,
      choiceOption("--style", LLAMAFACTORY_STYLES),
    )
    .option("--no-plan", "code-only responses, the ablation without plans (default: plan, then code)")
    .option(
      "--instruction-set <set>",
      'instruction before each question: "default", "none" or a file with one per line',
      nonEmpty("--instruction-set"),
      EXPORT_DEFAULTS.instructionSet,
    )
    .option(
      "--seed <n>",
      "seed for picking instructions, and the training seed",
      intOption("--seed", 0, 2 ** 32 - 1),
      EXPORT_DEFAULTS.seed,
    )
    .option(
      "--lora-rank <n>",
      "LoRA rank; lora_alpha is twice it",
      intOption("--lora-rank", 1, 1024),
      EXPORT_DEFAULTS.loraRank,
    )
    .option(
      "--epochs <n>",
      "training epochs",
      floatOption("--epochs", 0, 1000, { exclusiveMin: true }),
      EXPORT_DEFAULTS.epochs,
    )
    .option(
      "--lr <rate>",
      "learning rate",
      floatOption("--lr", 0, 1, { exclusiveMin: true }),
      EXPORT_DEFAULTS.learningRate,
    )
    .option(
      "--cutoff-len <tokens>",
      "LLaMA-Factory cutoff_len; longer samples are reported",
      intOption("--cutoff-len", 16, 1_048_576),
      EXPORT_DEFAULTS.cutoffLen,
    )
    .option(
      "--output-dir <dir>",
      "LLaMA-Factory output_dir (default: saves/<base model>/lora/<name>)",
      nonEmpty("--output-dir"),
    )
    .option(
      "--only-passing",
      "only samples whose code passed their problem's own tests (generate's code checks); samples without tests are left out (default: all samples)",
    )
    .option("--log-level <level>", "log level on stderr", logLevelOption, "warn" as LogLevel)
    .action(async (flags: ExportFlags) => {
      const { runExport } = await import("../commands/export.js");
      await runExport({
        format: flags.format,
        input: flags.input,
        out: flags.out,
        name: flags.name,
        baseModel: flags.baseModel,
        template: flags.template,
        style: flags.style,
        withPlan: flags.plan,
        instructionSet: flags.instructionSet,
        seed: flags.seed,
        loraRank: flags.loraRank,
        epochs: flags.epochs,
        learningRate: flags.lr,
        cutoffLen: flags.cutoffLen,
        outputDir: flags.outputDir,
        onlyPassing: flags.onlyPassing === true,
        logLevel: flags.logLevel,
      });
    });
}
