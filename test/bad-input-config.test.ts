/**
 * Broken configurations and unusable outputs, through the real CLI.
 *
 * - Flags out of range (beyond the ones generate-config.test.ts already checks): exit 2, one line
 *   `sra: --flag value: what is wrong`, nothing created.
 * - --config files with unknown keys, out-of-range values, wrong types, broken JSON: exit 2, one line
 *   `sra: <file>[:line]: <path>: <what>` (several issues: a heading, then one line each).
 * - An --out that cannot be written (under a regular file, on /proc) and a full disk (/dev/full, and
 *   a full tmpfs where this machine lets us mount one): exit 1 early, with what to do.
 */
import { execFileSync } from "node:child_process";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import {
  generateArgs,
  MODEL,
  readJsonlStrict,
  stackLines,
  stderrLines,
  tempFilesIn,
  writeProblems,
} from "./support/faults.js";
import { createPlanScript } from "./support/plan-script.js";
import { makeConfig, makeSample, writeRunFixture } from "./support/run-fixture.js";

let tmp: string;
let server: FakeServer;
let problems: string;
let bench: string;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-bad-config-"));
  server = await startFakeOpenAiServer({
    script: createPlanScript({ endAfterSteps: 2, seed: 6 }),
    models: [MODEL],
  });
  problems = await writeProblems(path.join(tmp, "problems.jsonl"), ["c-1", "c-2", "c-3"]);
  bench = path.join(tmp, "bench.jsonl");
  await fsp.writeFile(
    bench,
    `${JSON.stringify({ text: "add two numbers and return the sum of them both" })}\n`,
  );
});

afterAll(async () => {
  await server.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

const args = (out: string, extra: string[] = []) =>
  generateArgs({ url: server.url, problems, out, extra: ["--iterations", "2", ...extra] });

describe("sra generate: out-of-range flags exit 2 with one line naming the flag", () => {
  // --c -1, --branches 0, --alpha 2 and others: generate-config.test.ts.
  it.each([
    [["--concurrency", "0"], "--concurrency 0: too small: expected number to be >=1"],
    [["--max-requests", "0"], "--max-requests 0: too small: expected number to be >=1"],
    [["--timeout", "0"], "--timeout 0: too small: expected number to be >0"],
    [["--limit", "0"], "--limit 0: too small: expected number to be >=1"],
    [["--iterations", "0"], "--iterations 0: too small: expected number to be >=1"],
    [["--max-tokens", "5"], "--max-tokens 5: too small: expected number to be >=16"],
    [
      ["--max-failures", "-1"],
      '--max-failures must be a whole number >= 0, a fraction between 0 and 1, or "none"',
    ],
  ])("%j", async (flags, message) => {
    const out = path.join(tmp, "never");
    const r = await runCli(args(out, flags));
    expect(r.code).toBe(2);
    const lines = stderrLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
    await expect(fsp.access(out)).rejects.toThrow();
    expect(server.calls).toHaveLength(0);
  });
});

describe("sra generate --config: a bad settings file exits 2 naming the file, line and field", () => {
  it.each([
    ["an unknown key", '{"colour": "red"}', /^: \(root\): Unrecognized key: "colour"$/],
    ["an unknown nested key", '{"search": {"iteratoins": 8}}', /^: search: Unrecognized key: "iteratoins"$/],
    ["c below 0", '{"search": {"c": -1}}', /^: search\.c: Too small: expected number to be >=0$/],
    [
      "branches 0",
      '{"search": {"branches": 0}}',
      /^: search\.branches: Too small: expected number to be >=1$/,
    ],
    ["alpha 2", '{"search": {"alpha": 2}}', /^: search\.alpha: Too big: expected number to be <=1$/],
    [
      "a string for a number",
      '{"run": {"concurrency": "many"}}',
      /^: run\.concurrency: Invalid input: expected number/,
    ],
    [
      "a retry policy that never tries",
      '{"server": {"retry": {"maxAttempts": 0}}}',
      /^: server\.retry\.maxAttempts: Too small/,
    ],
    ["broken JSON (line 3)", '{\n  "search": {\n    c: 1\n  }\n}\n', /^:3: invalid JSON: /],
    ["an array", "[1, 2]", /^: \(root\): Invalid input: expected object, received array$/],
    ["an empty file", "", /^: invalid JSON: Unexpected end of JSON input$/],
  ])("%s", async (name, content, first) => {
    const file = path.join(tmp, `settings-${name.replace(/\W+/g, "-")}.json`);
    await fsp.writeFile(file, content);
    const out = path.join(tmp, "never");
    const r = await runCli(args(out, ["--config", file]));
    expect(r.code).toBe(2);
    const lines = stderrLines(r.stderr);
    expect(lines[0]?.startsWith(`sra: ${file}`)).toBe(true);
    expect(lines[0]!.slice(`sra: ${file}`.length)).toMatch(first);
    expect(lines.filter((l) => !l.startsWith("hint: "))).toHaveLength(1);
    expect(stackLines(r.stderr)).toEqual([]);
    await expect(fsp.access(out)).rejects.toThrow();
  });

  it("several issues: a heading, then one line each", async () => {
    const file = path.join(tmp, "settings-two.json");
    await fsp.writeFile(file, '{"search": {"c": -1, "alpha": 2}}');
    const r = await runCli(args(path.join(tmp, "never"), ["--config", file]));
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)).toEqual([
      `sra: ${file}: invalid configuration`,
      "  search.c: Too small: expected number to be >=0",
      "  search.alpha: Too big: expected number to be <=1",
    ]);
  });

  it("a missing --config file", async () => {
    const file = path.join(tmp, "no-such-settings.json");
    const r = await runCli(args(path.join(tmp, "never"), ["--config", file]));
    expect(r.code).toBe(1);
    expect(stderrLines(r.stderr)).toEqual([`sra: ${file}: config file not found`]);
  });
});

describe("an --out that cannot be written fails early (exit 1), before any model call", () => {
  it.each([
    [
      "under a regular file",
      (file: string) => path.join(file, "run"),
      /^sra: --out .*\/a-file\/run: .*\/a-file is a file, not a directory$/,
    ],
    ["a regular file", (file: string) => file, /^sra: --out .*\/a-file is a file, not a directory$/],
    [
      "on /proc",
      () => "/proc/sra-test-run",
      /^sra: --out \/proc\/sra-test-run: cannot create the directory: ENOENT/,
    ],
  ])("sra generate --out %s", async (_name, outOf, message) => {
    const file = path.join(tmp, "a-file");
    await fsp.writeFile(file, "not a directory");
    const t0 = Date.now();
    const r = await runCli(args(outOf(file)), { timeoutMs: 15_000 });
    expect(r.signal).toBeNull(); // it ends: Node's recursive mkdir used to hang forever on /proc
    expect(r.code).toBe(1);
    const lines = stderrLines(r.stderr);
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toMatch(/^hint: /);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(server.calls).toHaveLength(0);
    expect(await fsp.readFile(file, "utf8")).toBe("not a directory");
  });

  it("sra export --out under a regular file", async () => {
    const run = await writeRunFixture(path.join(tmp, "export-run"), {
      config: makeConfig(),
      samples: [makeSample({ id: "a" })],
    });
    const file = path.join(tmp, "a-file");
    await fsp.writeFile(file, "x");
    const r = await runCli([
      "export",
      "--format",
      "sharegpt",
      "--input",
      run,
      "--out",
      path.join(file, "out"),
    ]);
    expect(r.code).toBe(1);
    expect(stderrLines(r.stderr)[0]).toMatch(
      /^sra: --out .*\/a-file\/out: .*\/a-file is a file, not a directory$/,
    );
  });

  it("sra decontaminate -o under a regular file and on /proc", async () => {
    const file = path.join(tmp, "a-file");
    await fsp.writeFile(file, "x");
    for (const [out, message] of [
      [
        path.join(file, "kept.jsonl"),
        /^sra: cannot write .*\/a-file\/kept\.jsonl: .*\/a-file is a file, not a directory$/,
      ],
      ["/proc/sra-test/kept.jsonl", /^sra: cannot write \/proc\/sra-test\/kept\.jsonl: ENOENT/],
    ] as const) {
      const r = await runCli(["decontaminate", problems, "-o", out, "--against", `${bench}:text`], {
        timeoutMs: 15_000,
      });
      expect(r.signal).toBeNull();
      expect(r.code).toBe(1);
      expect(stderrLines(r.stderr)[0]).toMatch(message);
    }
  });
});

describe("a full disk fails clearly (exit 1) and keeps the finished work", () => {
  it("sra generate: a run file that is a device (a symlink to /dev/full) is refused, not read forever", async () => {
    const out = path.join(tmp, "device-run-file");
    await fsp.mkdir(out);
    await fsp.symlink("/dev/full", path.join(out, "samples.jsonl"));
    const r = await runCli(args(out), { timeoutMs: 15_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(stderrLines(r.stderr)[0]).toBe(`sra: ${path.join(out, "samples.jsonl")}: not a regular file`);
  });

  it("sra decontaminate -o /dev/full, and --report on a full disk: ENOSPC, nothing half-written", async () => {
    const r = await runCli(["decontaminate", problems, "-o", "/dev/full", "--against", `${bench}:text`]);
    expect(r.code).toBe(1);
    expect(stderrLines(r.stderr)).toEqual([
      "sra: cannot write /dev/full: ENOSPC: no space left on device, write",
      "hint: the disk is full: free some space (or write elsewhere), then rerun the same command",
    ]);
    const out = path.join(tmp, "dec-full");
    await fsp.mkdir(out);
    await fsp.symlink("/dev/full", path.join(out, "report.json"));
    const kept = path.join(out, "kept.jsonl");
    const withReport = await runCli([
      "decontaminate",
      problems,
      "-o",
      kept,
      "--report",
      path.join(out, "report.json"),
      "--against",
      `${bench}:text`,
    ]);
    expect(withReport.code).toBe(1);
    expect(withReport.stderr).toMatch(/ENOSPC/);
    await expect(fsp.access(kept)).rejects.toThrow();
    expect(await tempFilesIn(out)).toEqual([]);
  });

  it("sra export to a full disk (the dataset file a symlink to /dev/full)", async () => {
    const run = await writeRunFixture(path.join(tmp, "export-full-run"), {
      config: makeConfig(),
      samples: [makeSample({ id: "a" }), makeSample({ id: "b" })],
    });
    const out = path.join(tmp, "export-full");
    await fsp.mkdir(out);
    await fsp.symlink("/dev/full", path.join(out, "sra_mcts.json"));
    const r = await runCli(["export", "--format", "sharegpt", "--input", run, "--out", out]);
    expect(r.code).toBe(1);
    expect(stderrLines(r.stderr)[0]).toMatch(/^sra: cannot write .*sra_mcts\.json: ENOSPC/);
    expect(stderrLines(r.stderr)[1]).toMatch(/^hint: the disk is full/);
    // /dev/full is still the device it was (never renamed over).
    expect((await fsp.stat("/dev/full")).isCharacterDevice()).toBe(true);
  });

  /** A 1 MiB tmpfs at `dir`: only where this process may mount (root with CAP_SYS_ADMIN). */
  function mountTinyTmpfs(dir: string): boolean {
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  }

  /** Fill the file system of `dir`, then free `freeBytes` of it again. */
  async function fillUp(dir: string, freeBytes: number): Promise<string> {
    const filler = path.join(dir, "filler");
    const handle = await fsp.open(filler, "w");
    const chunk = Buffer.alloc(4096);
    try {
      for (;;) {
        const { bytesWritten } = await handle.write(chunk);
        if (bytesWritten < chunk.length) break;
      }
    } catch {
      // ENOSPC: full
    } finally {
      await handle.close();
    }
    const { size } = await fsp.stat(filler);
    await fsp.truncate(filler, Math.max(0, size - freeBytes));
    return filler;
  }

  it("sra generate --out on a disk that is already full: exit 1 before any model call", async (ctx) => {
    const mnt = path.join(tmp, "tiny-full");
    await fsp.mkdir(mnt);
    if (!mountTinyTmpfs(mnt)) return ctx.skip(); // no mount here: /dev/full covers ENOSPC above
    try {
      await fillUp(mnt, 0);
      const calls = server.calls.length;
      const r = await runCli(args(path.join(mnt, "run")));
      expect(r.code).toBe(1);
      expect(stderrLines(r.stderr)[0]).toMatch(/^sra: --out .*\/tiny-full\/run: cannot write there: ENOSPC/);
      expect(stderrLines(r.stderr)[1]).toMatch(/^hint: the disk is full/);
      expect(server.calls.length).toBe(calls);
      // The probe left nothing behind, not even the directory it created.
      expect(await fsp.readdir(mnt)).toEqual(["filler"]);
    } finally {
      execFileSync("umount", [mnt], { stdio: "ignore" });
    }
  });

  it("sra generate: the disk fills up mid-run; finished work kept, whole lines only; a rerun finishes", async (ctx) => {
    const mnt = path.join(tmp, "tiny-mid");
    await fsp.mkdir(mnt);
    if (!mountTinyTmpfs(mnt)) return ctx.skip();
    try {
      const many = await writeProblems(
        path.join(tmp, "many.jsonl"),
        Array.from({ length: 30 }, (_, i) => `m-${i}`),
      );
      // Room for the write probe and a few problems' records, not for 30.
      const filler = await fillUp(mnt, 64 * 1024);
      const out = path.join(mnt, "run");
      // No code checks: the first sample must land before the trees, plans and journal fill the disk,
      // and the executor's start would delay it past that (the checks are tested elsewhere).
      const runArgs = generateArgs({
        url: server.url,
        problems: many,
        out,
        extra: ["--iterations", "2", "--no-check-code"],
      });
      const r = await runCli(runArgs);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^sra: cannot write to .*\.jsonl: ENOSPC: no space left on device/m);
      expect(r.stderr).toMatch(/^hint: the disk is full: free some space/m);
      expect(stackLines(r.stderr)).toEqual([]);
      // Every file holds whole lines only (a short write is cut back off), and what was
      // finished before the disk filled up is there.
      const before = readJsonlStrict(path.join(out, "samples.jsonl")).map((s) => s.id as string);
      for (const f of ["trees.jsonl", "plans.jsonl", "failures.jsonl"]) readJsonlStrict(path.join(out, f));
      expect(before.length).toBeGreaterThan(0);
      expect(before.length).toBeLessThan(30);

      await fsp.rm(filler); // space freed
      const rerun = await runCli(runArgs);
      expect(rerun.code, rerun.stderr).toBe(0);
      const after = readJsonlStrict(path.join(out, "samples.jsonl")).map((s) => s.id as string);
      expect(after.slice(0, before.length)).toEqual(before);
      expect(new Set(after).size).toBe(30);
      expect(after).toHaveLength(30);
      for (const f of ["trees.jsonl", "plans.jsonl"]) {
        const list = readJsonlStrict(path.join(out, f)).map((x) => x.id as string);
        expect(new Set(list).size, f).toBe(list.length);
      }
    } finally {
      execFileSync("umount", [mnt], { stdio: "ignore" });
    }
  });
});
