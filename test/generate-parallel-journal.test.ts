/**
 * --parallel-iterations K > 1 through the built CLI, the fake server and the request journal. The
 * journal replays a resumed problem's replies by request content and occurrence, so that is only exact
 * if the requests a problem sends do not depend on timing. Here the server answers each request after a
 * random delay (a seeded stream drawn in arrival order, another seed per invocation), so replies come
 * back in other orders each time; the trees, plans and samples must not change, and a run SIGKILLed
 * mid-way and rerun must write what an uninterrupted run writes, replaying what the journal kept.
 *
 * What may differ is what the discarded iterations (selected after the <end> that ended a search) had
 * spent before their abort: the usage (calls, tokens) and the wall-clock seconds, so those are left out
 * of the comparison (README, "Parallel iterations").
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../src/util/rng.js";
import { runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { generateArgs, MODEL, readJsonlStrict, sleep, writeProblems } from "./support/faults.js";
import { createPlanScript } from "./support/plan-script.js";
import { spawnCli, waitUntil } from "./support/spawn-cli.js";

const TAGS = Array.from({ length: 5 }, (_, i) => `par-${i}`);
/** Most of a request's random delay; a few ms each is enough to shuffle the replies of K in flight. */
const MAX_DELAY_MS = 9;

let tmp: string;
let problems: string;
const servers: FakeServer[] = [];
let reference: { calls: number; records: Records; discarded: number };

type Records = Record<"trees" | "plans" | "samples", Map<string, unknown>>;

/** A fresh fake server whose every reply waits a random 0..MAX_DELAY_MS ms (seeded by `latencySeed`). */
async function jitteryServer(latencySeed: number): Promise<FakeServer> {
  const rng = createRng(latencySeed);
  const server = await startFakeOpenAiServer({
    // <end> once a plan shows 2 steps: the 5th iteration ends a search, with 6 and 7 in flight.
    script: createPlanScript({
      endAfterSteps: 2,
      seed: 8,
      before: async () => {
        await sleep(rng.int(MAX_DELAY_MS + 1));
        return undefined;
      },
    }),
    models: [MODEL],
    latency: { baseMs: 1, perTokenMs: 0 },
  });
  servers.push(server);
  return server;
}

const argsFor = (url: string, out: string): string[] =>
  generateArgs({
    url,
    problems,
    out,
    extra: [
      ...["--iterations", "8", "--concurrency", "2", "--seed", "11"],
      ...["--parallel-iterations", "3", "--parallel-after", "0"],
    ],
  });

/** A run's records by id, without what discarded iterations' timing may change (usage, seconds). */
function recordsOf(dir: string): Records {
  const read = (file: string, strip: (r: Record<string, unknown>) => Record<string, unknown>) =>
    new Map(readJsonlStrict(path.join(dir, file)).map((r) => [r.id as string, strip(r)]));
  return {
    trees: read("trees.jsonl", (r) => r),
    plans: read("plans.jsonl", ({ usage: _u, seconds: _s, ...rest }) => rest),
    samples: read("samples.jsonl", (r) => {
      const {
        calls: _c,
        promptTokens: _p,
        completionTokens: _t,
        seconds: _s,
        ...meta
      } = r.meta as Record<string, unknown>;
      return { ...r, meta };
    }),
  };
}

async function uninterruptedRun(latencySeed: number, name: string) {
  const server = await jitteryServer(latencySeed);
  const out = path.join(tmp, name);
  const r = await runCli(argsFor(server.url, out));
  expect(r.code, r.stderr).toBe(0);
  return { calls: server.calls.length, records: recordsOf(out) };
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-parallel-journal-"));
  problems = await writeProblems(path.join(tmp, "problems.jsonl"), TAGS);
  const run = await uninterruptedRun(1, "reference");
  const trees = [...run.records.trees.values()] as { counters: Record<string, number> }[];
  const discarded = trees.reduce((n, t) => n + (t.counters["parallel.discarded"] ?? 0), 0);
  reference = { ...run, discarded };
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe("sra generate --parallel-iterations 3 against a server with random latency", () => {
  it("the reference run ran iterations in parallel and ended searches with some in flight", () => {
    expect(reference.records.samples.size).toBe(TAGS.length);
    for (const tree of reference.records.trees.values()) {
      const t = tree as { selections: number[]; stopReason: string };
      // The three depth-1 leaves were in flight together (each selected once, before any was applied).
      expect([...t.selections.slice(1, 4)].sort()).toEqual([1, 2, 3]);
      expect(t.stopReason).toBe("end");
    }
    expect(reference.discarded).toBeGreaterThan(0);
  });

  it.each([2, 3])("the same trees, plans and samples with latency seed %i", async (latencySeed) => {
    const run = await uninterruptedRun(latencySeed, `again-${latencySeed}`);
    expect(run.records.trees).toEqual(reference.records.trees);
    expect(run.records.plans).toEqual(reference.records.plans);
    expect(run.records.samples).toEqual(reference.records.samples);
  });

  it("SIGKILLed mid-way and rerun: the records of an uninterrupted run, the journal's replies replayed", async () => {
    const out = path.join(tmp, "killed");
    const killedServer = await jitteryServer(4);
    const cli = spawnCli(argsFor(killedServer.url, out));
    // Half-way: some problems done, two searches under way with iterations in flight.
    const reached = await waitUntil(cli, () => killedServer.calls.length >= reference.calls / 2);
    expect(reached, "the run ended before the kill").toBe(true);
    expect(await cli.kill()).toBe(true);

    const server = await jitteryServer(5);
    const r = await runCli(argsFor(server.url, out));
    expect(r.code, r.stderr).toBe(0);
    const replayed = Number(/journal: (\d+) replies replayed for (\d+) resumed problems/.exec(r.stderr)?.[1]);
    expect(replayed).toBeGreaterThan(0);
    const got = recordsOf(out);
    expect(got.trees).toEqual(reference.records.trees);
    expect(got.plans).toEqual(reference.records.plans);
    expect(got.samples).toEqual(reference.records.samples);
    // Every problem finished, so the journal is gone.
    await expect(fsp.stat(path.join(out, "journal"))).rejects.toThrow();
  });
});
