/**
 * `sra decontaminate <problems> -o <file>`: flags only; the work is decontaminate in
 * src/commands/decontaminate.ts, imported when the command runs.
 */
import { Command } from "commander";
import { BUILTIN_BENCHMARKS, DEFAULT_AGAINST } from "../decontaminate/benchmarks.js";
import { DECONTAMINATE_DEFAULTS } from "../decontaminate/defaults.js";
import { DENOMINATORS, type Denominator } from "../decontaminate/overlap.js";
import type { LogLevel } from "../util/logger.js";
import { choiceOption, floatOption, intOption, listOption, logLevelOption } from "./options.js";

interface Flags {
  output: string;
  removed?: string;
  report?: string;
  against?: string[];
  datasetsDir?: string;
  datasetsUrl?: string;
  cacheDir?: string;
  ngram: number;
  threshold: number;
  denominator: Denominator;
  questionField: string;
  idField: string;
  skipInvalid?: boolean;
  top: number;
  logLevel: LogLevel;
}

export function decontaminateCommand(): Command {
  return new Command("decontaminate")
    .description(
      "Remove the problems that overlap a benchmark (HumanEval, MBPP, their Plus versions, or your own " +
        "files). A problem is removed when |G(p) ∩ G(b)| / min(|G(p)|, |G(b)|) > threshold for some " +
        "benchmark item b, G(x) being the set of word n-grams of x (lower-cased letter/digit runs). " +
        "Kept records are copied byte for byte, in input order.",
    )
    .argument(
      "<problems>",
      "problems file: JSON Lines (streamed) or a JSON array; one object with a question each",
    )
    .requiredOption("-o, --output <file>", "kept problems, each exactly as its input line (required)")
    .option(
      "--removed <file>",
      "also write the removed problems, with the match that removed them (default: not written)",
    )
    .option(
      "--report <file>",
      "also write a JSON report: counts, overlap histogram, top matches (default: not written)",
    )
    .option(
      "--against <list>",
      `comma-separated benchmarks: ${BUILTIN_BENCHMARKS.join(", ")}, or your own file path.jsonl[:field] (default: ${DEFAULT_AGAINST.join(",")})`,
      listOption,
    )
    .option(
      "--datasets-dir <dir>",
      "directory holding benchmark files under their usual names, searched before $SRA_DATASETS_DIR and the cache (default: none)",
    )
    .option(
      "--datasets-url <url>",
      "mirror to download benchmark files from, as <url>/<file name> (default: $SRA_DATASETS_URL, else pinned GitHub commits)",
    )
    .option(
      "--cache-dir <dir>",
      "sra's cache root; downloaded benchmarks are kept in its datasets/ folder (default: $SRA_CACHE_DIR, else ~/.cache/sra)",
    )
    .option(
      "--ngram <n>",
      "n-gram size in words",
      intOption("--ngram", 1, 1000),
      DECONTAMINATE_DEFAULTS.ngram,
    )
    .option(
      "--threshold <x>",
      "remove a problem when its overlap is strictly greater than this",
      floatOption("--threshold", 0, 1),
      DECONTAMINATE_DEFAULTS.threshold,
    )
    .option(
      "--denominator <which>",
      `divide shared grams by: min (of both sets), problem (|G(p)|) or benchmark (|G(b)|)`,
      choiceOption("--denominator", DENOMINATORS),
      DECONTAMINATE_DEFAULTS.denominator,
    )
    .option("--question-field <name>", "field holding the problem text", DECONTAMINATE_DEFAULTS.questionField)
    .option(
      "--id-field <name>",
      "field holding the problem id (absent: derived from the question)",
      DECONTAMINATE_DEFAULTS.idField,
    )
    .option(
      "--skip-invalid",
      "skip bad input records (counted and reported) instead of failing (default: fail, listing them)",
    )
    .option(
      "--top <n>",
      "how many top matches the report shows",
      intOption("--top", 0),
      DECONTAMINATE_DEFAULTS.top,
    )
    .option("--log-level <level>", "log level for stderr", logLevelOption, "warn" as LogLevel)
    .action(async (input: string, flags: Flags) => {
      const [{ decontaminate }, { createLogger }] = await Promise.all([
        import("../commands/decontaminate.js"),
        import("../util/logger.js"),
      ]);
      await decontaminate({
        input,
        output: flags.output,
        ...(flags.removed !== undefined ? { removed: flags.removed } : {}),
        ...(flags.report !== undefined ? { report: flags.report } : {}),
        ...(flags.against !== undefined ? { against: flags.against } : {}),
        ...(flags.datasetsDir !== undefined ? { datasetsDir: flags.datasetsDir } : {}),
        ...(flags.datasetsUrl !== undefined ? { datasetsUrl: flags.datasetsUrl } : {}),
        ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}),
        ngram: flags.ngram,
        threshold: flags.threshold,
        denominator: flags.denominator,
        questionField: flags.questionField,
        idField: flags.idField,
        skipInvalid: flags.skipInvalid ?? false,
        top: flags.top,
        logger: createLogger({ level: flags.logLevel, name: "sra-decontaminate" }),
      });
    });
}
