/**
 * `sra merge <run-dir>... --out <dir>`: put shard runs (or any runs of the same settings) back into one
 * run directory. Records are deduplicated by id; the first run given wins a conflict (same id,
 * different content), and every conflict is reported on stderr and in merge-report.json. A failure is
 * dropped when any run has a sample for its id (or a plan, for a plans-stage failure). config.json is
 * merged when the result-affecting fields agree; otherwise nothing is written.
 *
 * The output is built in a temporary directory beside --out and renamed into place, so --out is
 * either absent or complete. Records stream through: only ids and content hashes are kept.
 */
import { createHash } from "node:crypto";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { ConfigError, InputError, MergeConflictError, OutputError, UsageError } from "../errors.js";
import { diffRunConfigs, formatDifference } from "../run/config.js";
import { readSavedConfig, writeRunConfig } from "../run-dir/config-file.js";
import { MERGE_REPORT_FILE, RUN_FILES, runPath } from "../run-dir/layout.js";
import { fileExists, idLines, RECORD_SCHEMAS } from "../run-dir/records.js";
import { openLineWriter } from "../util/jsonl.js";
import { makeDirectory } from "../util/output-dir.js";
import { parseJson } from "../util/parse-json.js";

export interface MergeOptions {
  runDirs: string[];
  out: string;
  /** A conflict is an error: nothing is written, exit 1 (default false: the first run wins). */
  strict?: boolean;
}

export interface MergeIo {
  stderr: { write(text: string): unknown };
}

export interface MergeConflict {
  file: string;
  id: string;
  /** The run whose record was kept. */
  keptFrom: string;
  /** The run whose different record was dropped. */
  droppedFrom: string;
}

export interface MergeReport {
  version: 1;
  out: string;
  inputs: { dir: string; samples: number; plans: number; trees: number; failures: number }[];
  output: { samples: number; plans: number; trees: number; failures: number };
  /** Same id and same content in several runs: kept once. */
  duplicates: Record<string, number>;
  /** Same id, different content: the first run's record was kept. */
  conflicts: MergeConflict[];
  /** Failures dropped because another run has the finished record. */
  failuresResolved: number;
  /** Orphan trees (no plan in any run) left out. */
  orphanTreesDropped: number;
}

const MAX_LISTED_CONFLICTS = 1000;

function contentHash(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

async function readConfig(dir: string): Promise<Record<string, unknown>> {
  const read = await readSavedConfig(dir);
  if (read.status === "missing") throw new InputError("not a run directory (no config.json)", { file: dir });
  if (read.status === "invalid") {
    const why = read.reason === "type" ? "not an object" : read.error;
    throw new InputError(`invalid config.json: ${why}`, { file: read.file });
  }
  return read.raw;
}

export async function runMerge(options: MergeOptions, io: MergeIo): Promise<MergeReport> {
  const { dirs, out } = await checkInputs(options);
  const first = await agreeingConfig(dirs);
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.merge-${process.pid}.tmp`);
  await fsp.rm(tmp, { recursive: true, force: true });
  await makeDirectory(tmp);
  const m: Merging = {
    dirs,
    tmp,
    io,
    conflicts: 0,
    report: {
      version: 1,
      out,
      inputs: dirs.map((dir) => ({ dir, samples: 0, plans: 0, trees: 0, failures: 0 })),
      output: { samples: 0, plans: 0, trees: 0, failures: 0 },
      duplicates: {},
      conflicts: [],
      failuresResolved: 0,
      orphanTreesDropped: 0,
    },
  };
  const { report } = m;
  try {
    const sampleIds = await mergeKind(m, "samples");
    const planIds = await mergeKind(m, "plans");
    // A tree belongs with its plan: keep trees whose plan was kept.
    await mergeKind(m, "trees", (id) => planIds.has(id));
    await mergeFailures(m, sampleIds, planIds);
    // config.json: the first run's, without its shard, noting where it came from.
    const merged = {
      ...first,
      input: { ...((first.input as Record<string, unknown>) ?? {}), shard: null },
      updatedAt: new Date().toISOString(),
      mergedFrom: dirs,
    };
    await writeRunConfig(tmp, merged);
    if (m.conflicts > report.conflicts.length) {
      io.stderr.write(`sra merge: ${m.conflicts - report.conflicts.length} more conflicts not listed\n`);
    }
    if (options.strict && m.conflicts > 0) {
      throw new MergeConflictError(
        `${m.conflicts} conflict${m.conflicts === 1 ? "" : "s"} (same id, different content): nothing written to ${out}`,
        {
          hint: "the runs disagree on those records (listed above); find out why, or merge without --strict to keep the first run's",
        },
      );
    }
    await fsp.writeFile(path.join(tmp, MERGE_REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
    // Into place: --out is absent or an empty directory (checked above).
    if (await fileExists(out)) await fsp.rmdir(out);
    await makeDirectory(path.dirname(out));
    await fsp.rename(tmp, out);
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (e instanceof InputError || e instanceof OutputError || e instanceof MergeConflictError) throw e;
    throw new OutputError(`cannot write ${out}: ${(e as Error).message}`, { cause: e });
  }

  io.stderr.write(
    `sra merge: ${dirs.length} runs -> ${out}: ${report.output.samples} samples, ${report.output.plans} plans, ` +
      `${report.output.trees} trees, ${report.output.failures} failures` +
      (m.conflicts > 0 ? `; ${m.conflicts} conflicts (first run kept, see merge-report.json)` : "") +
      "\n",
  );
  return report;
}

/** The inputs, resolved: at least one, none twice, --out not one of them and absent or empty. */
async function checkInputs(options: MergeOptions): Promise<{ dirs: string[]; out: string }> {
  if (options.runDirs.length === 0) throw new UsageError("sra merge needs at least one run directory");
  const dirs = options.runDirs.map((d) => path.resolve(d));
  const out = path.resolve(options.out);
  const seenDirs = new Set<string>();
  for (const d of dirs) {
    if (seenDirs.has(d)) throw new UsageError(`run directory given twice: ${d}`);
    seenDirs.add(d);
    if (d === out) throw new UsageError(`--out ${out} is one of the inputs; merge into a new directory`);
  }
  if (await fileExists(out)) {
    const entries = await fsp.readdir(out).catch(() => null);
    if (entries === null || entries.length > 0) {
      throw new OutputError(`${out} already exists and is not empty`, {
        hint: "merge into a new --out directory",
      });
    }
  }
  return { dirs, out };
}

/** The first run's config.json, once every run agrees with it on the result-affecting fields. */
async function agreeingConfig(dirs: readonly string[]): Promise<Record<string, unknown>> {
  const configs = await Promise.all(dirs.map(readConfig));
  const first = configs[0] as Record<string, unknown>;
  const issues: string[] = [];
  for (let i = 1; i < configs.length; i++) {
    for (const d of diffRunConfigs(first, configs[i])) {
      issues.push(
        `${path.basename(dirs[i] as string)}: ${formatDifference(d).replace("this command has", "it has")}`,
      );
    }
  }
  if (issues.length > 0) {
    throw new ConfigError(issues, runPath(dirs[0] as string, "config"), {
      hint: "only runs with the same model, strategy, search and code settings, seed and prompts can be merged",
    });
  }
  return first;
}

/** A merge in progress: the inputs, the temporary output directory, the report so far. */
interface Merging {
  dirs: readonly string[];
  tmp: string;
  io: MergeIo;
  report: MergeReport;
  /** Every conflict, listed or not. */
  conflicts: number;
}

/** Merge one record kind across runs (first run wins a conflict); returns the kept ids. */
async function mergeKind(
  m: Merging,
  kind: "samples" | "plans" | "trees",
  keep: (id: string) => boolean = () => true,
): Promise<Set<string>> {
  const { dirs, report } = m;
  const kept = new Map<string, { hash: string; from: number }>();
  const writer = openLineWriter(path.join(m.tmp, RUN_FILES[kind]));
  for (let i = 0; i < dirs.length; i++) {
    for await (const { id, text } of idLines(runPath(dirs[i] as string, kind))) {
      (report.inputs[i] as MergeReport["inputs"][number])[kind]++;
      if (!keep(id)) {
        if (kind === "trees") report.orphanTreesDropped++;
        continue;
      }
      const hash = contentHash(kind === "samples" ? canonicalSample(text) : text);
      const prev = kept.get(id);
      if (prev) {
        if (prev.hash === hash) {
          report.duplicates[kind] = (report.duplicates[kind] ?? 0) + 1;
        } else {
          m.conflicts++;
          const c = {
            file: RUN_FILES[kind],
            id,
            keptFrom: dirs[prev.from] as string,
            droppedFrom: dirs[i] as string,
          };
          if (report.conflicts.length < MAX_LISTED_CONFLICTS) report.conflicts.push(c);
          m.io.stderr.write(
            `sra merge: conflict in ${c.file}: id ${id} differs between ${c.keptFrom} (kept) and ${c.droppedFrom}\n`,
          );
        }
        continue;
      }
      kept.set(id, { hash, from: i });
      await writer.write(text);
      report.output[kind]++;
    }
  }
  await writer.close();
  return new Set(kept.keys());
}

/** Failures: dropped when any run finished that id; deduplicated by id (first kept). */
async function mergeFailures(m: Merging, sampleIds: Set<string>, planIds: Set<string>): Promise<void> {
  const { dirs, report } = m;
  const failureWriter = openLineWriter(path.join(m.tmp, RUN_FILES.failures));
  const failureIds = new Set<string>();
  for (let i = 0; i < dirs.length; i++) {
    const file = runPath(dirs[i] as string, "failures");
    for await (const { id, text } of idLines(file)) {
      (report.inputs[i] as MergeReport["inputs"][number]).failures++;
      const json = parseJson(text);
      const parsed = RECORD_SCHEMAS.failures.safeParse(json.ok ? json.value : null);
      const stage = parsed.success ? parsed.data.stage : "code";
      const resolved = sampleIds.has(id) || (stage === "plans" && planIds.has(id));
      if (resolved) {
        report.failuresResolved++;
        continue;
      }
      if (failureIds.has(id)) {
        report.duplicates.failures = (report.duplicates.failures ?? 0) + 1;
        continue;
      }
      failureIds.add(id);
      await failureWriter.write(text);
      report.output.failures++;
    }
  }
  await failureWriter.close();
}

/**
 * A sample's content for conflict detection, without its timing: the same problem answered the same
 * way by two runs is a duplicate, not a conflict, even if one took longer.
 */
function canonicalSample(text: string): string {
  const parsed = parseJson(text);
  if (!parsed.ok) return text;
  const s = RECORD_SCHEMAS.samples.safeParse(parsed.value);
  if (!s.success) return text;
  const { seconds: _seconds, ...meta } = s.data.meta;
  return JSON.stringify({ ...s.data, meta });
}
