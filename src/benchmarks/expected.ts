/**
 * Expected outputs of an EvalPlus-shaped benchmark: the canonical solution run on every input (base,
 * then plus), each output with the canonical run's time on it, as evalplus/evaluate.py
 * `get_groundtruth` computes them. Cached under <cache dir>/expected/, keyed by the dataset file's
 * sha256, the encoding's version and the Python version, readable by the owner only (a sample,
 * running as another user, cannot read it).
 *
 * Layout: index.json (per task and input set: times and each output's metadata) and blobs.bin (the
 * encoded outputs; those over 64 KiB zlib-compressed). Outputs over STORE_LIMIT keep only their
 * digest: a sample must then match them exactly.
 */
import { createHash } from "node:crypto";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { deflateSync } from "node:zlib";
import type { Executor } from "../execute/executor.js";
import { perInputLimits, setDeadline } from "../execute/limits.js";
import type { CheckFailure, EncodedValue } from "../execute/types.js";
import type { EvalBenchmark, EvalplusTests, EvalTask } from "./eval-tasks.js";

/** Bump when the harness's value encoding changes: older caches are then computed again. */
export const ENCODING_VERSION = 1;
const INLINE_IN_MEMORY = 64 << 10;

export type InputSet = "base" | "plus";

export interface ExpectedSet {
  outputs: EncodedValue[];
  times: number[];
  /** evalplus's per-input limits and the whole set's deadline (src/execute/limits.ts). */
  limits: number[];
  deadline: number;
}

export interface TaskExpected {
  base?: ExpectedSet;
  plus?: ExpectedSet;
  /** The canonical solution did not produce every output (then the task cannot be scored). */
  failure?: { set: InputSet; failure: CheckFailure };
}

export interface ExpectedOutputs {
  dir: string;
  /** Whether this call computed them (false: read from the cache). */
  computed: boolean;
  seconds: number;
  tasks: Map<string, TaskExpected>;
}

type Meta = [e: "p" | "s", size: number, d: string, nan: 0 | 1, off: number, len: number, z: 0 | 1];
interface IndexSet {
  times: number[];
  outputs: Meta[];
}
interface IndexFile {
  version: number;
  benchmark: string;
  sha256: string;
  python: string;
  tasks: Record<string, { base?: IndexSet; plus?: IndexSet; failure?: TaskExpected["failure"] }>;
}

/**
 * The cache directory: the file's sha256, a digest of which tasks and input sets are wanted (so a
 * subset of a benchmark never passes for the whole), the encoding version and Python's version.
 */
export function expectedDir(cacheDir: string, benchmark: EvalBenchmark, pythonVersion: string): string {
  const slug = path
    .basename(benchmark.name)
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .slice(0, 60);
  const py = pythonVersion.split(".").slice(0, 2).join(".");
  const wanted = benchmark.tasks.flatMap((t) =>
    t.tests.kind === "evalplus" ? [`${t.taskId}${t.tests.plusInputs === undefined ? "" : "+"}`] : [],
  );
  const selection = createHash("sha256").update(wanted.join("\n")).digest("hex").slice(0, 8);
  const name = `${slug}-${benchmark.sha256.slice(0, 16)}-${selection}-e${ENCODING_VERSION}-py${py}`;
  return path.join(cacheDir, "expected", name);
}

function setOf(meta: IndexSet, blobs: Buffer, blobFile: string): ExpectedSet {
  const outputs = meta.outputs.map(([e, size, d, nan, off, len, z]): EncodedValue => {
    const value: EncodedValue = { e, size, d, nan: nan === 1 };
    if (len > 0 && !z && len <= INLINE_IN_MEMORY) value.data = Buffer.from(blobs.subarray(off, off + len));
    else if (len > 0) value.file = { path: blobFile, off, len, z: z === 1 };
    return value;
  });
  const limits = perInputLimits(meta.times);
  return { outputs, times: meta.times, limits, deadline: setDeadline(limits) };
}

async function readCache(dir: string): Promise<Map<string, TaskExpected> | undefined> {
  let index: IndexFile;
  let blobs: Buffer;
  const blobFile = path.join(dir, "blobs.bin");
  try {
    index = JSON.parse(await fsp.readFile(path.join(dir, "index.json"), "utf8")) as IndexFile;
    blobs = await fsp.readFile(blobFile);
  } catch {
    return undefined;
  }
  if (index.version !== ENCODING_VERSION) return undefined;
  const tasks = new Map<string, TaskExpected>();
  for (const [id, t] of Object.entries(index.tasks)) {
    const task: TaskExpected = {};
    if (t.base) task.base = setOf(t.base, blobs, blobFile);
    if (t.plus) task.plus = setOf(t.plus, blobs, blobFile);
    if (t.failure) task.failure = t.failure;
    tasks.set(id, task);
  }
  return tasks;
}

class BlobWriter {
  private parts: Buffer[] = [];
  private size = 0;

  add(value: EncodedValue): Meta {
    let data = value.data;
    let z: 0 | 1 = 0;
    if (data && data.length > INLINE_IN_MEMORY) {
      data = deflateSync(data, { level: 1 });
      z = 1;
    }
    const off = this.size;
    if (data) {
      this.parts.push(data);
      this.size += data.length;
    }
    return [value.e, value.size, value.d, value.nan ? 1 : 0, off, data?.length ?? 0, z];
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

async function writeCache(dir: string, index: IndexFile, blobs: Buffer): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await fsp.rm(tmp, { recursive: true, force: true });
  await fsp.mkdir(tmp, { recursive: true, mode: 0o700 });
  await fsp.writeFile(path.join(tmp, "blobs.bin"), blobs, { mode: 0o600 });
  await fsp.writeFile(path.join(tmp, "index.json"), JSON.stringify(index), { mode: 0o600 });
  await fsp.chmod(path.dirname(dir), 0o700).catch(() => undefined);
  try {
    await fsp.rename(tmp, dir);
  } catch {
    // Another process wrote the same cache first: its copy is as good as ours.
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

export interface PrepareOptions {
  cacheDir: string;
  /** After each input set of each task: (sets done, sets in all). */
  onProgress?: (done: number, total: number) => void;
}

async function record(executor: Executor, task: EvalTask, tests: EvalplusTests, set: InputSet) {
  const inputs = set === "base" ? tests.baseInputs : (tests.plusInputs as string);
  return executor.recordFunction({
    code: task.canonical ?? "",
    entryPoint: task.entryPoint ?? "",
    inputs,
    inputsRule: tests.inputsRule,
    oracle: tests.oracle,
    // evalplus runs canonical solutions in its own process, without the guard.
    guard: false,
  });
}

/** The expected outputs for every EvalPlus-shaped task of the benchmark, from the cache or computed. */
export async function prepareExpected(
  benchmark: EvalBenchmark,
  executor: Executor,
  options: PrepareOptions,
): Promise<ExpectedOutputs> {
  const started = performance.now();
  const dir = expectedDir(options.cacheDir, benchmark, executor.python.version);
  const cached = await readCache(dir);
  if (cached) return { dir, computed: false, seconds: (performance.now() - started) / 1000, tasks: cached };
  const jobs: { task: EvalTask; tests: EvalplusTests; set: InputSet }[] = [];
  for (const task of benchmark.tasks) {
    if (task.tests.kind !== "evalplus") continue;
    jobs.push({ task, tests: task.tests, set: "base" });
    if (task.tests.plusInputs !== undefined) jobs.push({ task, tests: task.tests, set: "plus" });
  }
  const writer = new BlobWriter();
  const index: IndexFile = {
    version: ENCODING_VERSION,
    benchmark: benchmark.name,
    sha256: benchmark.sha256,
    python: executor.python.version,
    tasks: {},
  };
  let done = 0;
  // Each run is folded into the index as it finishes, so its outputs are not all held at once.
  await Promise.all(
    jobs.map(async (job) => {
      const run = await record(executor, job.task, job.tests, job.set);
      const entry = index.tasks[job.task.taskId] ?? {};
      index.tasks[job.task.taskId] = entry;
      entry[job.set] = { times: run.times, outputs: run.outputs.map((o) => writer.add(o)) };
      if (run.failure && !entry.failure) entry.failure = { set: job.set, failure: run.failure };
      options.onProgress?.(++done, jobs.length);
    }),
  );
  await fsp.mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
  await writeCache(dir, index, writer.bytes());
  const tasks = (await readCache(dir)) ?? new Map();
  return { dir, computed: true, seconds: (performance.now() - started) / 1000, tasks };
}
