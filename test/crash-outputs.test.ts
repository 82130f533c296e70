/**
 * Crash safety of `sra export` and `sra decontaminate`: SIGKILL at random moments (seeded; half of
 * them timed to the moment a temporary output file appears, i.e. mid-write) while they replace the
 * outputs of an earlier run. A reader must see, for every output file, the old file or the complete
 * new one, never half a file; the next run sweeps the temporary files the kill left behind.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDirectory, tempFilePid } from "../src/util/output-dir.js";
import { createRng } from "../src/util/rng.js";
import { runCli } from "./support/cli.js";
import { sleep, tempFilesIn } from "./support/faults.js";
import { makeConfig, makeSample, writeRunFixture } from "./support/run-fixture.js";
import { spawnCli, waitUntil } from "./support/spawn-cli.js";

let tmp: string;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-crash-outputs-"));
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/** Whether the temporary file of output `file` (`.<name>.<pid>...tmp` beside it) exists. */
function hasTempFileOf(file: string): boolean {
  try {
    const prefix = `.${path.basename(file)}.`;
    return readdirSync(path.dirname(file)).some((f) => f.startsWith(prefix) && f.endsWith(".tmp"));
  } catch {
    return false;
  }
}

/**
 * Spawn the CLI and SIGKILL it `delayMs` after `trigger` first holds (polled every millisecond; no
 * trigger: after process start). Returns whether it was killed (not finished first) and triggered.
 */
async function spawnAndKill(
  args: string[],
  o: { trigger?: () => boolean; delayMs: number },
): Promise<{ killed: boolean; triggered: boolean }> {
  const cli = spawnCli(args);
  const triggered = o.trigger === undefined || (await waitUntil(cli, o.trigger, 1));
  if (cli.running()) await Promise.race([sleep(o.delayMs), cli.exited]);
  return { killed: await cli.kill(), triggered };
}

/** Whether `file` now differs in size from `size` (it was renamed into place). */
function sizeChanged(file: string, size: number): boolean {
  const text = readOrNull(file);
  return text !== null && text.length !== size;
}

/** For every file: what a reader saw after the kill is the old content or the final one. */
function expectOldOrNew(
  files: readonly string[],
  old: Map<string, string | null>,
  after: Map<string, string | null>,
) {
  for (const f of files) {
    const seen = after.get(f) ?? null;
    const final = readOrNull(f);
    expect(final, `${f} exists after the rerun`).not.toBeNull();
    const isOld = seen === old.get(f);
    const isNew = seen === final;
    expect(
      isOld || isNew,
      `${path.basename(f)}: ${seen === null ? "absent" : `${seen.length} bytes`}, neither old nor new`,
    ).toBe(true);
  }
}

/**
 * Kill `argv` at the moment `mode` names (+ delayMs), then rerun it: the rerun succeeds, every file is the old one
 * or the complete new one, and the temporary files the kill left are swept. Returns the rerun.
 */
async function killThenRerun(o: {
  command: string;
  seed: number;
  mode: string;
  argv: string[];
  delayMs: number;
  files: string[];
  old: Map<string, string | null>;
  dir: string;
}) {
  // The moment the kill is timed from: "mid-write" once the first file's temporary file exists,
  // "after-rename" once the first file has changed; "any" from the start.
  const first = o.files[0] as string;
  const oldSize = o.old.get(first)?.length ?? 0;
  const trigger =
    o.mode === "mid-write"
      ? () => hasTempFileOf(first)
      : o.mode === "after-rename"
        ? () => sizeChanged(first, oldSize)
        : undefined;
  const { killed } = await spawnAndKill(o.argv, { ...(trigger ? { trigger } : {}), delayMs: o.delayMs });
  const after = snapshot(o.files);
  const leftovers = await tempFilesIn(o.dir);
  const rerun = await runCli(o.argv);
  expect(rerun.code, rerun.stderr).toBe(0);
  expectOldOrNew(o.files, o.old, after);
  expect(await tempFilesIn(o.dir)).toEqual([]);
  console.log(
    `${o.command} seed ${o.seed} (${o.mode}, ${killed ? `killed ${o.delayMs} ms after the trigger` : "finished first"}): ` +
      `${o.files.map((f) => `${path.basename(f)} ${after.get(f) === o.old.get(f) ? "old" : "new"}`).join(", ")}; ` +
      `${leftovers.length} temp file(s) left, swept by the rerun`,
  );
  return rerun;
}

/** Problems of the big decontaminate input (a multiple of 2500). */
const PROBLEMS = 20_000;
const snapshot = (files: readonly string[]) => new Map(files.map((f) => [f, readOrNull(f)]));
/** Where each seed's kill falls: any moment, mid-write of the big output, or just after its rename. */
const MODES = [
  [1, "any"],
  [2, "mid-write"],
  [3, "after-rename"],
] as const;

describe("sra export: SIGKILL mid-write", () => {
  let small: string;
  let big: string;
  let fullMs: number;

  beforeAll(async () => {
    const sample = (i: number) =>
      makeSample({
        id: `s-${i}`,
        question: `Question ${i}: ${"return the sum of a list of integers. ".repeat(8)}`,
      });
    small = await writeRunFixture(path.join(tmp, "small-run"), {
      config: makeConfig(),
      samples: Array.from({ length: 20 }, (_, i) => sample(i)),
    });
    big = await writeRunFixture(path.join(tmp, "big-run"), {
      config: makeConfig(),
      samples: Array.from({ length: 6_000 }, (_, i) => sample(i)),
    });
    const t0 = Date.now();
    const r = await runCli([
      "export",
      "--format",
      "llamafactory",
      "--input",
      big,
      "--out",
      path.join(tmp, "exp-timing"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    fullMs = Date.now() - t0;
  }, 60_000);

  it.each(MODES)(
    "seed %i, kill %s: every file is the old one or the complete new one",
    async (seed, mode) => {
      const rng = createRng(seed);
      const out = path.join(tmp, `exp-${seed}`);
      const args = (input: string) => ["export", "--format", "llamafactory", "--input", input, "--out", out];
      const files = ["sra_mcts.json", "sra_mcts_lora_sft.yaml", "dataset_info.json"].map((f) =>
        path.join(out, f),
      );
      expect((await runCli(args(small))).code).toBe(0);
      const old = snapshot(files);
      const delayMs = mode === "any" ? rng.int(fullMs) : rng.int(3);
      await killThenRerun({
        command: "export",
        seed,
        mode,
        argv: args(big),
        delayMs,
        files,
        old,
        dir: out,
      });
    },
  );
});

describe("sra decontaminate: SIGKILL mid-write", () => {
  let small: string;
  let big: string;
  let bench: string;
  let fullMs: number;

  beforeAll(async () => {
    const rng = createRng(42);
    const words =
      "alpha beta gamma delta array string integer return maximum minimum subarray window pointer graph node edge tree heap stack queue sort search binary dynamic".split(
        " ",
      );
    const question = () => Array.from({ length: 50 }, () => words[rng.int(words.length)]).join(" ");
    const lines = Array.from({ length: PROBLEMS }, (_, i) =>
      JSON.stringify({ id: `q${i}`, question: question() }),
    );
    big = path.join(tmp, "big-problems.jsonl");
    small = path.join(tmp, "small-problems.jsonl");
    await fsp.writeFile(big, `${lines.join("\n")}\n`);
    await fsp.writeFile(small, `${lines.slice(0, 30).join("\n")}\n`);
    // A "benchmark" holding every 2500th question word for word: those are removed.
    bench = path.join(tmp, "bench.jsonl");
    await fsp.writeFile(
      bench,
      lines
        .filter((_, i) => i % 2500 === 0)
        .map((l) => `${JSON.stringify({ text: (JSON.parse(l) as { question: string }).question })}\n`)
        .join(""),
    );
    const t0 = Date.now();
    const r = await runCli([
      "decontaminate",
      big,
      "-o",
      path.join(tmp, "dec-timing.jsonl"),
      "--against",
      `${bench}:text`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    fullMs = Date.now() - t0;
  }, 60_000);

  it.each(MODES)(
    "seed %i, kill %s: -o, --removed and --report are each old or complete",
    async (seed, mode) => {
      const rng = createRng(100 + seed);
      const dir = path.join(tmp, `dec-${seed}`);
      await fsp.mkdir(dir);
      const files = ["kept.jsonl", "removed.jsonl", "report.json"].map((f) => path.join(dir, f));
      const args = (input: string) => [
        "decontaminate",
        input,
        "-o",
        files[0]!,
        "--removed",
        files[1]!,
        "--report",
        files[2]!,
        "--against",
        `${bench}:text`,
      ];
      expect((await runCli(args(small))).code).toBe(0);
      const old = snapshot(files);
      // The temporary files are opened early (before the benchmarks load), so "mid-write" is any
      // moment once they exist; "after-rename" is the commit, between the three renames.
      const delayMs = mode === "after-rename" ? 0 : rng.int(fullMs);
      const rerun = await killThenRerun({
        command: "decontaminate",
        seed,
        mode,
        argv: args(big),
        delayMs,
        files,
        old,
        dir,
      });
      expect(rerun.stderr).toContain(`kept ${PROBLEMS - PROBLEMS / 2500}, removed ${PROBLEMS / 2500}`);
    },
  );
});

describe("temporary files of a killed process are recognised by name", () => {
  it.each([
    [".kept.jsonl.4242.tmp", "kept.jsonl", 4242],
    [".kept.jsonl.4242.9f3a01bc.tmp", "kept.jsonl", 4242],
    // random hex that happens to be all digits must not be taken for the pid
    [".report.json.4704.23698706.tmp", "report.json", 4704],
    [".trees.jsonl.77.filter.tmp", "trees.jsonl", 77],
    [".config.json.12.lzx9k1.tmp", "config.json", 12],
    [".kept.jsonl.4242.tmp", "removed.jsonl", undefined],
    ["kept.jsonl.4242.tmp", "kept.jsonl", undefined],
    [".kept.jsonl.tmp", "kept.jsonl", undefined],
    [".kept.jsonl.4242.notes.txt", "kept.jsonl", undefined],
  ])("%s for %s: pid %s", (name, target, pid) => {
    expect(tempFilePid(name, target)).toBe(pid);
  });

  it("makeDirectory settles on a file system that refuses new entries (Node's recursive mkdir hangs)", async () => {
    const t0 = Date.now();
    await expect(makeDirectory("/proc/sra-no-such/dir")).rejects.toMatchObject({ code: "ENOENT" });
    expect(Date.now() - t0).toBeLessThan(2_000);
    const file = path.join(tmp, "plain-file");
    await fsp.writeFile(file, "x");
    await expect(makeDirectory(path.join(file, "sub"))).rejects.toMatchObject({ code: "ENOTDIR" });
    await makeDirectory(path.join(tmp, "a", "b", "c"));
    await makeDirectory(path.join(tmp, "a", "b", "c"));
    expect((await fsp.stat(path.join(tmp, "a", "b", "c"))).isDirectory()).toBe(true);
  });
});
