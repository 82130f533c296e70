/**
 * The request journal through real processes: `sra generate` is SIGKILLed at random points of its
 * searches (several seeds, three kills each), then run to the end. The fake server counts every
 * request of every invocation, and the requests in flight at each kill. The journal must keep what
 * the server already answered: over all the runs together the server gets at most an uninterrupted
 * run's requests plus those in flight at the kills, and the trees, plans and samples equal the
 * uninterrupted run's. With --no-journal the same kills cost whole searches.
 *
 * "In flight at a kill" is counted by the server, not by sra: just before the kill it holds every new
 * request (a gate in the fake model) and waits until sra has taken in every reply already sent (no new
 * request for a while, and sra's main thread asleep, using no CPU). The held requests are then those in
 * flight; everything else was answered and taken in, so it must never be asked again.
 */
import { readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../src/util/rng.js";
import { runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { generateArgs, MODEL, readJsonlStrict, sleep, writeProblems } from "./support/faults.js";
import { createPlanScript } from "./support/plan-script.js";
import { idleSince, spawnCli, waitUntil } from "./support/spawn-cli.js";

const TAGS = Array.from({ length: 6 }, (_, i) => `journal-${i}`);
const KILLS = 3;
/** How long sra must have sent nothing new before the requests held at the gate count as in flight. */
const QUIET_MS = 150;

let tmp: string;
let problems: string;
let reference: { calls: number; records: Records };
const servers: FakeServer[] = [];

type Records = Record<"trees" | "plans" | "samples", Map<string, unknown>>;

/** A fake model that can hold every new request (the gate) and counts the held ones. */
interface GatedServer {
  server: FakeServer;
  hold(): void;
  release(): void;
  /** Requests received and not answered: held at the gate (or still in their few ms of latency). */
  unanswered(): number;
}

async function gatedServer(): Promise<GatedServer> {
  let gate: { open: Promise<void>; release: () => void } | undefined;
  const server = await startFakeOpenAiServer({
    // Long searches (every iteration spent), so the kills land inside them.
    script: createPlanScript({
      endAfterSteps: 5,
      seed: 21,
      before: async () => {
        await gate?.open;
        return undefined;
      },
    }),
    models: [MODEL],
    latency: { baseMs: 3, perTokenMs: 0 },
  });
  servers.push(server);
  return {
    server,
    hold() {
      let release = () => {};
      const open = new Promise<void>((resolve) => {
        release = resolve;
      });
      gate = { open, release };
    },
    release() {
      gate?.release();
      gate = undefined;
    },
    unanswered: () => server.calls.filter((c) => c.finishedAt === 0).length,
  };
}

const argsFor = (url: string, out: string, extra: string[] = []): string[] =>
  generateArgs({ url, problems, out, extra: ["--concurrency", "3", "--iterations", "6", ...extra] });

/** Records without wall-clock fields, keyed by id. */
function recordsOf(dir: string): Records {
  const strip = (r: Record<string, unknown>): [string, unknown] => {
    const { seconds: _s, ...rest } = r;
    const meta = rest.meta as Record<string, unknown> | undefined;
    if (meta) {
      const { seconds: _m, ...metaRest } = meta;
      rest.meta = metaRest;
    }
    return [r.id as string, rest];
  };
  const read = (f: string) => new Map(readJsonlStrict(path.join(dir, f)).map(strip));
  return { trees: read("trees.jsonl"), plans: read("plans.jsonl"), samples: read("samples.jsonl") };
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-crash-journal-"));
  problems = await writeProblems(path.join(tmp, "problems.jsonl"), TAGS);
  const { server } = await gatedServer();
  const out = path.join(tmp, "reference");
  const r = await runCli(argsFor(server.url, out));
  expect(r.code, r.stderr).toBe(0);
  reference = { calls: server.calls.length, records: recordsOf(out) };
  expect(reference.records.samples.size).toBe(TAGS.length);
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await fsp.rm(tmp, { recursive: true, force: true });
});

/**
 * One invocation, killed once the server has had `after` of its requests: hold new requests, wait until
 * sra has taken in every reply sent (quiet, asleep), count the held ones, SIGKILL. Returns the server's
 * requests and the in-flight count (undefined when the run finished first).
 */
async function killedRun(
  args: (url: string) => string[],
  after: number,
): Promise<{ requests: number; inFlight: number | undefined }> {
  const g = await gatedServer();
  const cli = spawnCli(args(g.server.url));
  await waitUntil(cli, () => g.server.calls.length >= after);
  g.hold();
  let lastCount = -1;
  let quietSince = Date.now();
  const cpu: { ticks?: number } = {};
  await waitUntil(
    cli,
    () => {
      const count = g.server.calls.length;
      if (count !== lastCount) {
        lastCount = count;
        quietSince = Date.now();
      }
      const idle = idleSince(cli.child.pid as number, cpu) ?? true;
      return Date.now() - quietSince >= QUIET_MS && idle;
    },
    25,
  );
  const inFlight = cli.running() ? g.unanswered() : undefined;
  await cli.kill();
  g.release();
  await sleep(5);
  return { requests: g.server.calls.length, inFlight };
}

/** Kill the same command KILLS times at random points, then run it to the end. */
async function killThenFinish(seed: number, out: string, extra: string[] = []) {
  const rng = createRng(seed);
  const args = (url: string) => argsFor(url, out, extra);
  const kills: { at: number; inFlight: number | undefined; requests: number }[] = [];
  for (let k = 0; k < KILLS; k++) {
    // Somewhere in the first two thirds of what an uninterrupted run asks, counted in this invocation.
    const at = 5 + rng.int(Math.floor((reference.calls * 2) / 3));
    kills.push({ at, ...(await killedRun(args, at)) });
  }
  const { server } = await gatedServer();
  const last = await runCli(args(server.url));
  expect(last.code, last.stderr).toBe(0);
  const total = kills.reduce((n, k) => n + k.requests, 0) + server.calls.length;
  const inFlight = kills.reduce((n, k) => n + (k.inFlight ?? 0), 0);
  return { kills, total, inFlight, finalRequests: server.calls.length, stderr: last.stderr };
}

describe("sra generate: SIGKILL mid-search, then rerun: the journal keeps every answered request", () => {
  it.each([1, 2, 3])("seed %i", async (seed) => {
    const out = path.join(tmp, `killed-${seed}`);
    const { kills, total, inFlight, finalRequests, stderr } = await killThenFinish(seed, out);
    console.log(
      `seed ${seed}: uninterrupted ${reference.calls} requests; killed after ${kills
        .map((k) => `${k.at} (${k.inFlight === undefined ? "finished first" : `${k.inFlight} in flight`})`)
        .join(", ")}; ${total} requests over all ${KILLS + 1} runs (last run ${finalRequests})`,
    );
    expect(kills.some((k) => k.inFlight !== undefined)).toBe(true);
    expect(total).toBeLessThanOrEqual(reference.calls + inFlight);
    // Every request the uninterrupted run made was made at least once.
    expect(total).toBeGreaterThanOrEqual(reference.calls);
    expect(stderr).toMatch(/journal: \d+ replies replayed for \d+ resumed problems/);
    const got = recordsOf(out);
    expect(got.trees).toEqual(reference.records.trees);
    expect(got.plans).toEqual(reference.records.plans);
    expect(got.samples).toEqual(reference.records.samples);
    // Finished problems leave nothing behind: the journal directory is gone.
    await expect(fsp.stat(path.join(out, "journal"))).rejects.toThrow();
  });

  it("with --no-journal the same kills cost more than the requests in flight", async () => {
    const out = path.join(tmp, "no-journal");
    const { total, inFlight } = await killThenFinish(1, out, ["--no-journal"]);
    console.log(
      `seed 1, --no-journal: ${total} requests over all runs (journal bound ${reference.calls + inFlight})`,
    );
    expect(total).toBeGreaterThan(reference.calls + inFlight);
    expect(recordsOf(out).samples).toEqual(reference.records.samples);
  });
});

describe("the journal on disk while a run is killed", () => {
  it("holds one file per problem in progress (the others emptied for reuse), each a header and whole lines", async () => {
    const out = path.join(tmp, "on-disk");
    // Not at a multiple of a problem's requests, where new problems may not have been answered yet.
    const killed = await killedRun((url) => argsFor(url, out), Math.floor(reference.calls / 2) + 10);
    expect(killed.inFlight).toBeGreaterThan(0);
    const dir = path.join(out, "journal");
    const files = (await fsp.readdir(dir)).filter((f) => readFileSync(path.join(dir, f), "utf8") !== "");
    expect(files.length).toBeGreaterThan(0);
    expect(files.length).toBeLessThanOrEqual(3); // --concurrency 3
    for (const f of files) {
      const text = readFileSync(path.join(dir, f), "utf8");
      expect(text.endsWith("\n")).toBe(true);
      const lines = text
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines[0]).toMatchObject({ sraJournal: 1, unit: expect.stringMatching(/^journal-\d$/) });
      for (const e of lines.slice(1))
        expect(e).toMatchObject({ k: expect.any(String), n: 0, r: { text: expect.any(String) } });
    }
  });
});
