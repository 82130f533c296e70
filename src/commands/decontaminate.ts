/**
 * `sra decontaminate`: drop the problems whose word n-grams overlap a benchmark item too much (the
 * paper's 10-gram check at 0.5), file to file. The input and both outputs are streamed, so memory is
 * bounded by the benchmarks; outputs appear atomically, only when the run succeeds.
 */
import { existsSync, constants as fsConstants } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { AtomicLineWriter } from "../decontaminate/atomic-lines.js";
import {
  BUILTIN_BENCHMARKS,
  DEFAULT_AGAINST,
  isBuiltinBenchmark,
  parseUserBenchmarkSpec,
} from "../decontaminate/benchmarks.js";
import { datasetCaches, type LoadedBenchmark, loadBenchmark } from "../decontaminate/datasets.js";
import { DECONTAMINATE_DEFAULTS } from "../decontaminate/defaults.js";
import { type BenchmarkItem, NgramIndex } from "../decontaminate/ngram-index.js";
import { DENOMINATORS, type Denominator, scoreMatch } from "../decontaminate/overlap.js";
import {
  type BenchmarkSummary,
  type DecontaminationReport,
  ReportBuilder,
  roundOverlap,
} from "../decontaminate/report.js";
import { tokenize } from "../decontaminate/tokenize.js";
import { cannotReadError, InputErrors, UsageError } from "../errors.js";
import { createReadProblemsStats, type ReadProblemsStats, readProblems } from "../problems/read-problems.js";
import { type Logger, silentLogger } from "../util/logger.js";
import { removeStaleTempFiles } from "../util/output-dir.js";

export { DECONTAMINATE_DEFAULTS } from "../decontaminate/defaults.js";

export interface DecontaminateOptions {
  input: string;
  /** Kept problems, each exactly as its input line. */
  output: string;
  /** Removed problems with the match that removed them (JSONL). */
  removed?: string;
  /** The JSON report. */
  report?: string;
  /** Built-in benchmark names and user files `path[:field]` (default: all five built-ins). */
  against?: readonly string[];
  /** Searched first for benchmark files (then $SRA_DATASETS_DIR). */
  datasetsDir?: string;
  /** A mirror for downloads (default $SRA_DATASETS_URL, else the pinned origins). */
  datasetsUrl?: string;
  /** The cache root (default $SRA_CACHE_DIR, else ~/.cache/sra): downloads go to its datasets/ folder. */
  cacheDir?: string;
  ngram?: number;
  threshold?: number;
  denominator?: Denominator;
  /** How many top matches the report shows. */
  top?: number;
  questionField?: string;
  idField?: string;
  skipInvalid?: boolean;
  logger?: Logger;
  /** Where the summary and download notes go (default process.stderr). */
  stderr?: { write(text: string): unknown };
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

export interface DecontaminateResult {
  report: DecontaminationReport;
  read: ReadProblemsStats;
}

function checkOptions(o: DecontaminateOptions): void {
  const n = o.ngram ?? DECONTAMINATE_DEFAULTS.ngram;
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--ngram must be a whole number >= 1 (got ${n})`);
  const t = o.threshold ?? DECONTAMINATE_DEFAULTS.threshold;
  if (!Number.isFinite(t) || t < 0 || t > 1)
    throw new UsageError(`--threshold must be from 0 to 1 (got ${t})`);
  const top = o.top ?? DECONTAMINATE_DEFAULTS.top;
  if (!Number.isInteger(top) || top < 0)
    throw new UsageError(`--top must be a whole number >= 0 (got ${top})`);
  if (!DENOMINATORS.includes(o.denominator ?? "min")) {
    throw new UsageError(`--denominator must be one of ${DENOMINATORS.join(", ")}`);
  }
  const input = path.resolve(o.input);
  const outputs = [
    ["-o", o.output],
    ["--removed", o.removed],
    ["--report", o.report],
  ].filter((x): x is [string, string] => x[1] !== undefined);
  const seen = new Map<string, string>();
  for (const [flag, file] of outputs) {
    const abs = path.resolve(file);
    if (abs === input) throw new UsageError(`${flag} ${file} is the input file; write the output elsewhere`);
    const other = seen.get(abs);
    if (other) throw new UsageError(`${flag} and ${other} name the same file (${file})`);
    seen.set(abs, flag);
  }
  for (const name of o.against ?? DEFAULT_AGAINST) {
    if (isBuiltinBenchmark(name)) continue;
    const spec = parseUserBenchmarkSpec(name, (p) => existsSync(p));
    if (!existsSync(spec.path)) {
      throw new UsageError(
        `--against: "${name}" is neither a benchmark (${BUILTIN_BENCHMARKS.join(", ")}) nor an existing file`,
        { hint: "a file of your own is given as path.jsonl or path.jsonl:field" },
      );
    }
  }
}

function padTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "),
    )
    .map((line) => `  ${line.trimEnd()}\n`)
    .join("");
}

function formatSummary(
  report: DecontaminationReport,
  o: DecontaminateOptions,
  read: ReadProblemsStats,
): string {
  const d = report.definition;
  const c = report.counts;
  let s =
    `decontaminate: ${c.problems} problems from ${o.input}; removed when the largest ${d.n}-gram overlap ` +
    `(denominator ${d.denominator}) > ${d.threshold}\n`;
  const rows = [["benchmark", "items", "removed", "over threshold", "max overlap"]];
  for (const b of report.benchmarks) {
    rows.push([b.name, String(b.items), String(b.removed), String(b.overThreshold), b.maxOverlap.toFixed(3)]);
  }
  s += padTable(rows);
  s += `kept ${c.kept}, removed ${c.removed} -> ${o.output}`;
  if (o.removed) s += `, removed records -> ${o.removed}`;
  if (o.report) s += `, report -> ${o.report}`;
  s += "\n";
  if (c.blank > 0) s += `skipped ${c.blank} blank line${c.blank === 1 ? "" : "s"}\n`;
  if (c.duplicates > 0) {
    s += `dropped ${c.duplicates} repeated question${c.duplicates === 1 ? "" : "s"} (no id, same text as an earlier one):\n`;
    for (const e of read.warnings.slice(0, 5)) s += `  ${e.message}\n`;
    if (c.duplicates > 5) s += `  ... ${c.duplicates - 5} more\n`;
  }
  if (c.invalid > 0) {
    s += `skipped ${c.invalid} invalid record${c.invalid === 1 ? "" : "s"} (--skip-invalid):\n`;
    for (const e of read.errors.slice(0, 5)) s += `  ${e.message}\n`;
    if (c.invalid > 5)
      s += `  ... ${c.invalid - 5} more${o.report ? " (the first 20 are in the report)" : ""}\n`;
  }
  if (c.noGrams > 0) s += `note: ${c.noGrams} problem(s) have no word tokens and cannot match anything\n`;
  if (read.replacementChars > 0) {
    s += `note: ${read.replacementChars} problem(s) contain U+FFFD replacement characters (damaged text?)\n`;
  }
  return s;
}

/** Load the benchmarks in --against order (sequentially, so notes and errors come in a stable order). */
async function loadAll(o: DecontaminateOptions, notify: (m: string) => void): Promise<LoadedBenchmark[]> {
  const env = o.env ?? process.env;
  const dirs = [o.datasetsDir, env.SRA_DATASETS_DIR].filter((d): d is string => d !== undefined && d !== "");
  const sources = {
    dirs,
    ...datasetCaches(env, o.cacheDir),
    baseUrl: o.datasetsUrl ?? (env.SRA_DATASETS_URL || undefined),
    notify,
    ...(o.fetch ? { fetch: o.fetch } : {}),
  };
  const names = [...new Set(o.against ?? DEFAULT_AGAINST)];
  const loaded: LoadedBenchmark[] = [];
  for (const name of names) loaded.push(await loadBenchmark(name, sources));
  return loaded;
}

export async function decontaminate(o: DecontaminateOptions): Promise<DecontaminateResult> {
  checkOptions(o);
  const log = o.logger ?? silentLogger();
  const out = o.stderr ?? process.stderr;
  const notify = (m: string): void => {
    out.write(`${m}\n`);
  };
  const n = o.ngram ?? DECONTAMINATE_DEFAULTS.ngram;
  const threshold = o.threshold ?? DECONTAMINATE_DEFAULTS.threshold;
  const denominator = o.denominator ?? DECONTAMINATE_DEFAULTS.denominator;
  const top = o.top ?? DECONTAMINATE_DEFAULTS.top;

  // A missing input should not wait for (or trigger) benchmark downloads.
  try {
    await fsp.access(o.input, fsConstants.R_OK);
  } catch (e) {
    throw cannotReadError(e, "file", { file: o.input });
  }

  // The outputs are opened before the benchmarks are loaded and the index built (seconds), so an
  // unwritable path fails first. Each goes to a temporary file, renamed into place only at the end;
  // leftovers of a killed earlier run are swept first.
  const targets = [o.output, o.removed, o.report].filter((f): f is string => f !== undefined);
  for (const f of targets) await removeStaleTempFiles(path.dirname(path.resolve(f)), [path.basename(f)]);
  const kept = await AtomicLineWriter.open(o.output);
  const removed = o.removed ? await AtomicLineWriter.open(o.removed).catch(abortFirst(kept)) : undefined;
  const reportOut = o.report
    ? await AtomicLineWriter.open(o.report).catch(abortFirst(kept, removed))
    : undefined;
  try {
    return await filterProblems(
      o,
      { kept, removed, reportOut },
      { log, notify, out, n, threshold, denominator, top },
    );
  } catch (e) {
    await kept.abort();
    await removed?.abort();
    await reportOut?.abort();
    if (e instanceof InputErrors) log.debug({ total: e.total }, "input has invalid records");
    throw e;
  }
}

/** For a failed open: abort the writers already open, then rethrow. */
function abortFirst(...writers: (AtomicLineWriter | undefined)[]) {
  return async (e: unknown): Promise<never> => {
    for (const w of writers) await w?.abort();
    throw e;
  };
}

/** Load the benchmarks, build the index, and stream the problems into the open writers. */
async function filterProblems(
  o: DecontaminateOptions,
  writers: {
    kept: AtomicLineWriter;
    removed?: AtomicLineWriter | undefined;
    reportOut?: AtomicLineWriter | undefined;
  },
  c: {
    log: Logger;
    notify: (m: string) => void;
    out: { write(text: string): unknown };
    n: number;
    threshold: number;
    denominator: Denominator;
    top: number;
  },
): Promise<DecontaminateResult> {
  const { kept, removed, reportOut } = writers;
  const { log, notify, out, n, threshold, denominator, top } = c;
  const t0 = performance.now();
  const benchmarks = await loadAll(o, notify);
  const items: BenchmarkItem[] = benchmarks.flatMap((b) => b.extracted.items);
  const benchmarkOf = new Int32Array(items.length);
  {
    let i = 0;
    benchmarks.forEach((b, bi) => {
      for (let k = 0; k < b.extracted.items.length; k++) benchmarkOf[i++] = bi;
    });
  }
  const index = NgramIndex.build(items, n, tokenize);
  log.debug(
    { items: items.length, grams: index.gramCount, ms: Math.round(performance.now() - t0) },
    "benchmark index built",
  );

  const summaries: BenchmarkSummary[] = benchmarks.map((b, bi) => {
    let grams = 0;
    let shortItems = 0;
    for (let i = 0; i < items.length; i++) {
      if (benchmarkOf[i] !== bi) continue;
      grams += index.itemGrams[i]!;
      if (index.itemTokens[i]! < n) shortItems++;
    }
    return {
      name: b.name,
      file: path.basename(b.file),
      sha256: b.sha256,
      pinned: b.pinnedSha256 === undefined ? null : b.pinnedSha256 === b.sha256,
      records: b.records,
      items: b.extracted.items.length,
      skippedRecords: b.extracted.missing,
      shortItems,
      grams,
    };
  });
  for (const s of summaries) {
    if (s.skippedRecords > 0)
      notify(`note: ${s.name}: ${s.skippedRecords} record(s) without text were skipped`);
  }

  const builder = new ReportBuilder({
    n,
    threshold,
    denominator,
    top,
    benchmarks: summaries,
    items,
    benchmarkOf,
  });
  const read = createReadProblemsStats();
  const problems = readProblems(
    o.input,
    {
      questionField: o.questionField ?? DECONTAMINATE_DEFAULTS.questionField,
      idField: o.idField ?? DECONTAMINATE_DEFAULTS.idField,
      skipInvalid: o.skipInvalid ?? false,
    },
    read,
  );
  for await (const p of problems) {
    const score = scoreMatch(
      index.matchText(p.question),
      index.itemGrams,
      benchmarkOf,
      benchmarks.length,
      denominator,
    );
    const isRemoved = builder.add(p, score);
    const text = p.text ?? JSON.stringify(p.record);
    if (!isRemoved) {
      await kept.writeLine(text);
    } else if (removed && score.best) {
      const item = items[score.best.item]!;
      await removed.writeLine(
        JSON.stringify({
          id: p.id,
          line: p.line,
          overlap: roundOverlap(score.best.overlap),
          benchmark: item.benchmark,
          benchmarkId: item.id,
          shared: score.best.shared,
          problemGrams: score.grams,
          benchmarkGrams: score.best.benchmarkGrams,
          record: p.record,
        }),
      );
    }
  }
  const report = builder.build(o.input, read, tokenize);
  // Same bytes as before (pretty JSON and a final newline), through the same temp-and-rename writer.
  await reportOut?.writeLine(JSON.stringify(report, null, 2));
  // All written and synced first (a full disk fails here, replacing nothing), then renamed.
  await kept.finish();
  await removed?.finish();
  await reportOut?.finish();
  await kept.commit();
  await removed?.commit();
  await reportOut?.commit();
  log.debug({ ms: Math.round(performance.now() - t0), problems: read.problems }, "decontaminate done");
  out.write(formatSummary(report, o, read));
  return { report, read };
}
