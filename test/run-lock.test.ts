/**
 * One `sra generate` per run directory (src/run/run-lock.ts): a live holder keeps a second process
 * out; a lock left by a dead process (gone pid on this host, or not refreshed for a while on any host)
 * is taken over; the lock is removed when the run ends. Real files, real processes; the CLI cases run
 * two real `sra generate` processes on one --out against the loopback fake server.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OutputError } from "../src/errors.js";
import { acquireRunLock, RUN_LOCK_FILE, type RunLockOwner } from "../src/run/run-lock.js";
import { CLI, generateArgs, runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { readJsonlStrict } from "./support/jsonl-files.js";
import { createPlanScript } from "./support/plan-script.js";

let tmp: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-run-lock-"));
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function freshDir(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await fsp.mkdir(dir, { recursive: true });
  return dir;
}

async function writeLock(dir: string, owner: Partial<RunLockOwner>, ageMs = 0): Promise<string> {
  const file = path.join(dir, RUN_LOCK_FILE);
  const full = {
    pid: 1,
    host: os.hostname(),
    startedAt: "2026-01-01T00:00:00.000Z",
    command: "sra generate",
    ...owner,
  };
  await fsp.writeFile(file, `${JSON.stringify(full)}\n`);
  if (ageMs > 0) {
    const t = new Date(Date.now() - ageMs);
    await fsp.utimes(file, t, t);
  }
  return file;
}

/** A process that is alive until killed. */
function aliveProcess(): ChildProcess {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  children.push(child);
  return child;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid as number;
}

describe("acquireRunLock", () => {
  it("writes our pid and host, and release removes the file", async () => {
    const dir = await freshDir("plain");
    const lock = await acquireRunLock(dir);
    const owner = JSON.parse(readFileSync(lock.file, "utf8")) as RunLockOwner;
    expect(owner).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect(lock.replaced).toBeUndefined();
    await lock.release();
    expect(existsSync(lock.file)).toBe(false);
    await lock.release(); // twice is fine
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  it.each([
    ["a live process on this host", async () => ({ pid: aliveProcess().pid as number }), 0],
    ["another host, refreshed just now", async () => ({ pid: 4242, host: "node-17.cluster" }), 0],
    ["an unreadable lock that is recent", async () => null, 0],
  ])("refuses a lock held by %s, naming the holder", async (_name, owner, age) => {
    const dir = await freshDir(`held-${_name.replace(/\W+/g, "-")}`);
    const held = await owner();
    if (held === null) await fsp.writeFile(path.join(dir, RUN_LOCK_FILE), '{"pid": 12');
    else await writeLock(dir, held, age);
    const before = readFileSync(path.join(dir, RUN_LOCK_FILE), "utf8");
    const e = await acquireRunLock(dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OutputError);
    expect((e as OutputError).message).toContain("is in use by another sra generate");
    if (held) expect((e as OutputError).message).toContain(`process ${held.pid}`);
    expect((e as OutputError).hint).toContain(RUN_LOCK_FILE);
    // The holder's lock is untouched, and nothing of ours is left beside it.
    expect(readFileSync(path.join(dir, RUN_LOCK_FILE), "utf8")).toBe(before);
    expect(await fsp.readdir(dir)).toEqual([RUN_LOCK_FILE]);
  });

  it.each([
    ["a pid that has exited, on this host", async () => ({ pid: await deadPid() }), 0, /process \d+ is gone/],
    [
      "another host, not refreshed for 10 minutes",
      async () => ({ pid: 4242, host: "node-17" }),
      600_000,
      /not refreshed for 600 s/,
    ],
    [
      "a live pid whose lock has not been refreshed (pid reused)",
      async () => ({ pid: aliveProcess().pid as number }),
      600_000,
      /not refreshed/,
    ],
  ])("takes over a stale lock: %s", async (_name, owner, age, why) => {
    const dir = await freshDir(`stale-${_name.replace(/\W+/g, "-")}`);
    await writeLock(dir, await owner(), age);
    const lock = await acquireRunLock(dir);
    expect(lock.replaced?.why).toMatch(why);
    expect(JSON.parse(readFileSync(lock.file, "utf8"))).toMatchObject({ pid: process.pid });
    await lock.release();
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  it("a holder refreshes its lock, so a waiting process does not judge it stale", async () => {
    const dir = await freshDir("refresh");
    const lock = await acquireRunLock(dir, { refreshMs: 20 });
    const old = new Date(Date.now() - 600_000);
    await fsp.utimes(lock.file, old, old);
    // Polled, not timed: on a loaded machine the first refresh may come late, but it comes.
    const ageOf = async () => Date.now() - (await fsp.stat(lock.file)).mtimeMs;
    const deadline = Date.now() + 10_000;
    while ((await ageOf()) > 60_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await ageOf()).toBeLessThan(60_000);
    await lock.release();
  });

  it("release leaves alone a lock that another process took over meanwhile", async () => {
    const dir = await freshDir("taken");
    const lock = await acquireRunLock(dir);
    await writeLock(dir, { pid: 4242, host: "node-17" });
    await lock.release();
    expect(JSON.parse(readFileSync(lock.file, "utf8"))).toMatchObject({ pid: 4242 });
  });
});

describe("sra generate: one process per run directory", () => {
  let server: FakeServer;
  let problems: string;
  beforeAll(async () => {
    problems = path.join(tmp, "problems.jsonl");
    const questions = Array.from(
      { length: 6 },
      (_, i) => `Problem ${i}: return the sum of ${i + 2} integers.`,
    );
    await fsp.writeFile(problems, `${questions.map((q) => JSON.stringify({ question: q })).join("\n")}\n`);
    server = await startFakeOpenAiServer({
      script: createPlanScript({ endAfterSteps: 2, seed: 3 }),
      models: ["google/gemma-2-2b-it"],
      latency: { baseMs: 40, perTokenMs: 0 },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  const args = (out: string) =>
    generateArgs({ url: server.url, problems, out }, ["--iterations", "4", "--concurrency", "2"]);

  it("a second generate on a running one's --out stops at once; the first finishes alone", async () => {
    const out = path.join(tmp, "run-busy");
    const first = spawn(process.execPath, [CLI, ...args(out)], { stdio: ["ignore", "ignore", "pipe"] });
    children.push(first);
    let firstErr = "";
    first.stderr?.setEncoding("utf8").on("data", (d: string) => {
      firstErr += d;
    });
    const firstDone = new Promise<number | null>((resolve) => first.on("exit", resolve));
    // Wait until it has started working (the lock is taken before any LLM call).
    const deadline = Date.now() + 20_000;
    while (server.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(path.join(out, RUN_LOCK_FILE))).toBe(true);
    const callsBefore = server.calls.length;

    const second = await runCli(args(out));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`is in use by another sra generate (process ${first.pid}`);
    expect(second.stderr).toContain("hint:");

    expect(await firstDone, firstErr).toBe(0);
    expect(existsSync(path.join(out, RUN_LOCK_FILE))).toBe(false);
    const ids = readJsonlStrict(path.join(out, "samples.jsonl")).map((r) => r.id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    // The second process sent nothing: every call after it started belongs to the first run.
    expect(server.calls.length).toBeGreaterThan(callsBefore);
  });

  it("after a SIGKILL, the rerun takes the dead process's lock over and finishes the run", async () => {
    const out = path.join(tmp, "run-killed");
    const first = spawn(process.execPath, [CLI, ...args(out)], { stdio: "ignore" });
    children.push(first);
    const exited = new Promise((resolve) => first.on("exit", resolve));
    const deadline = Date.now() + 20_000;
    while (!existsSync(path.join(out, "samples.jsonl")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    first.kill("SIGKILL");
    await exited;
    expect(existsSync(path.join(out, RUN_LOCK_FILE))).toBe(true);

    const rerun = await runCli(args(out));
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`took over a stale lock on ${out} (process ${first.pid}`);
    const ids = readJsonlStrict(path.join(out, "samples.jsonl")).map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(6);
    expect(existsSync(path.join(out, RUN_LOCK_FILE))).toBe(false);
  });
});
