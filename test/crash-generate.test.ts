/**
 * Crash safety of `sra generate`: SIGKILL at random moments (seeded: start-up, mid-search, between a
 * tree and its plan, mid-append, during the start-up repairs), twice in a row, then the same command
 * again. The finished set must equal an uninterrupted run's: the same ids, the same samples (the fake
 * model answers by prompt, and every invocation gets a fresh one, so a redone problem gets the same
 * replies), nothing twice, nothing finished lost, every JSONL line whole, no temporary file left.
 */
import { readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../src/util/rng.js";
import { runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import {
  generateArgs,
  MODEL,
  readJsonlStrict,
  readJsonlTolerant,
  sleep,
  tempFilesIn,
  writeProblems,
} from "./support/faults.js";
import { createPlanScript } from "./support/plan-script.js";
import { spawnCli, waitUntil } from "./support/spawn-cli.js";

const TAGS = Array.from({ length: 12 }, (_, i) => `crash-${i}`);
const FILES = ["trees.jsonl", "plans.jsonl", "samples.jsonl", "failures.jsonl"] as const;

let tmp: string;
let problems: string;
let reference: { samples: Map<string, unknown>; plans: Map<string, unknown> };
const servers: FakeServer[] = [];

/** A fresh fake model per invocation (a restarted server): the same replies to the same prompts. */
async function freshServer(): Promise<FakeServer> {
  const s = await startFakeOpenAiServer({
    script: createPlanScript({ endAfterSteps: 3, seed: 9 }),
    models: [MODEL],
    latency: { baseMs: 6, perTokenMs: 0 },
  });
  servers.push(s);
  return s;
}

const argsFor = (url: string, out: string): string[] =>
  generateArgs({ url, problems, out, extra: ["--concurrency", "3"] });

/** Records without wall-clock fields, keyed by id. */
function byId(records: Record<string, unknown>[]): Map<string, unknown> {
  return new Map(
    records.map((r) => {
      const { seconds: _s, ...rest } = r as { seconds?: number };
      const meta = (rest as { meta?: Record<string, unknown> }).meta;
      if (meta) {
        const { seconds: _ms, ...metaRest } = meta;
        return [r.id as string, { ...rest, meta: metaRest }];
      }
      return [r.id as string, rest];
    }),
  );
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-crash-generate-"));
  problems = await writeProblems(path.join(tmp, "problems.jsonl"), TAGS);
  const server = await freshServer();
  const out = path.join(tmp, "reference");
  const r = await runCli(argsFor(server.url, out));
  expect(r.code, r.stderr).toBe(0);
  reference = {
    samples: byId(readJsonlStrict(path.join(out, "samples.jsonl"))),
    plans: byId(readJsonlStrict(path.join(out, "plans.jsonl"))),
  };
  expect(reference.samples.size).toBe(TAGS.length);
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await fsp.rm(tmp, { recursive: true, force: true });
});

function lineCount(file: string): number {
  try {
    return readFileSync(file, "utf8").split("\n").length - 1;
  } catch {
    return 0;
  }
}

/**
 * Spawn the CLI and SIGKILL it once `trees.jsonl` holds `afterTrees` lines (0: right away), plus
 * `extraMs`: crash points spread over the whole run, whatever the machine's speed.
 */
async function spawnAndKill(
  args: string[],
  out: string,
  afterTrees: number,
  extraMs: number,
): Promise<{ killed: boolean; code: number | null }> {
  const cli = spawnCli(args);
  const trees = path.join(out, "trees.jsonl");
  await waitUntil(cli, () => lineCount(trees) >= afterTrees, 3);
  if (cli.running()) await Promise.race([sleep(extraMs), cli.exited]);
  const killed = await cli.kill();
  return { killed, code: await cli.exited };
}

/**
 * What a reader may see at any moment: whole lines, and at most a torn tail without its newline
 * (readJsonlTolerant throws on any other broken line). Also says which files had a torn tail.
 */
function readAfterKill(dir: string): { ids: Map<string, string[]>; torn: string[] } {
  const ids = new Map<string, string[]>();
  const torn: string[] = [];
  for (const f of FILES) {
    ids.set(
      f,
      readJsonlTolerant(path.join(dir, f)).map((r) => r.id as string),
    );
    try {
      const text = readFileSync(path.join(dir, f), "utf8");
      if (text !== "" && !text.endsWith("\n")) torn.push(f);
    } catch {
      // not written yet
    }
  }
  return { ids, torn };
}

describe("sra generate: SIGKILL at random moments, then the same command", () => {
  it.each([1, 2, 3])("seed %i: the finished set equals an uninterrupted run's", async (seed) => {
    const rng = createRng(seed);
    const out = path.join(tmp, `killed-${seed}`);
    // Two kills in a row (the second may land in the start-up repairs), each at a random point of
    // the run: after a random number of finished searches, plus a random few milliseconds.
    const kept: string[][] = [];
    const points: string[] = [];
    for (let k = 0; k < 2; k++) {
      const server = await freshServer();
      // Relative to what the run dir already holds: the second kill lands later in the work too.
      const have = lineCount(path.join(out, "trees.jsonl"));
      const afterTrees = have + rng.int(TAGS.length - have);
      const extraMs = rng.int(80);
      const at = afterTrees === 0 ? `start + ${extraMs} ms` : `tree ${afterTrees} + ${extraMs} ms`;
      const { killed, code } = await spawnAndKill(argsFor(server.url, out), out, afterTrees, extraMs);
      if (!killed) expect(code).toBe(0);
      const seen = readAfterKill(out);
      kept.push(seen.ids.get("samples.jsonl") ?? []);
      // No id twice in any file, even between kills.
      for (const [f, list] of seen.ids) {
        expect(new Set(list).size, `${f} after kill ${k + 1}`).toBe(list.length);
      }
      const count = (f: string): number => seen.ids.get(f)?.length ?? 0;
      const torn = seen.torn.length > 0 ? `, torn tail in ${seen.torn.join(" ")}` : "";
      points.push(
        killed
          ? `kill at ${at}: ${count("trees.jsonl")} trees, ${count("plans.jsonl")} plans, ${count("samples.jsonl")} samples${torn}`
          : `finished before the kill at ${at}`,
      );
    }
    // Finished samples are never lost: the second kill's samples include the first's.
    expect(kept[1]).toEqual(expect.arrayContaining(kept[0]!));

    const server = await freshServer();
    const r = await runCli(argsFor(server.url, out));
    expect(r.code, r.stderr).toBe(0);
    const start = readFileSync(path.join(out, "generate.log"), "utf8")
      .split("\n")
      .filter((l) => l.includes('"generate: start"'))
      .at(-1);
    const dropped = (JSON.parse(start ?? "{}") as { droppedOrphanTrees?: number }).droppedOrphanTrees;
    // The crash points this seed hit, for the record (the closing note lists them).
    console.log(`seed ${seed}: ${points.join("; ")}; the rerun dropped ${dropped ?? 0} orphan trees`);

    const samples = readJsonlStrict(path.join(out, "samples.jsonl"));
    const plans = readJsonlStrict(path.join(out, "plans.jsonl"));
    const trees = readJsonlStrict(path.join(out, "trees.jsonl"));
    for (const [name, list] of [
      ["samples", samples],
      ["plans", plans],
      ["trees", trees],
    ] as const) {
      const listIds = list.map((x) => x.id as string);
      expect(new Set(listIds).size, `${name}: no duplicates`).toBe(listIds.length);
      expect(new Set(listIds), name).toEqual(new Set(TAGS));
    }
    expect(readJsonlStrict(path.join(out, "failures.jsonl"))).toEqual([]);
    // The same content as the uninterrupted run (wall-clock fields aside).
    expect(byId(samples)).toEqual(reference.samples);
    expect(byId(plans)).toEqual(reference.plans);
    // Samples finished before the kills are the first lines, as they were.
    expect(samples.slice(0, kept[1]!.length).map((s) => s.id)).toEqual(kept[1]);
    expect(await tempFilesIn(out)).toEqual([]);
    expect(() => JSON.parse(readFileSync(path.join(out, "config.json"), "utf8"))).not.toThrow();
    expect(JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8")).totals.samples).toBe(TAGS.length);
  });
});

/** Reference lines by id, in the reference file's order. */
function referenceLines(file: string): Map<string, string> {
  const lines = readFileSync(path.join(tmp, "reference", file), "utf8")
    .split("\n")
    .filter((l) => l !== "");
  return new Map(lines.map((l) => [JSON.parse(l).id as string, l]));
}

/**
 * Every point where a kill can fall between two writes of one problem, built exactly: the run dir
 * holds the first five problems whole, and problem X (the sixth) as the crash left it.
 */
const CRASH_POINTS: {
  point: string;
  x: { trees: string; plans: string; samples: string };
  redo: string[];
}[] = [
  { point: "mid-append of a tree", x: { trees: "torn", plans: "-", samples: "-" }, redo: ["search"] },
  {
    point: "between the tree and its plan",
    x: { trees: "whole", plans: "-", samples: "-" },
    redo: ["search"],
  },
  { point: "mid-append of a plan", x: { trees: "whole", plans: "torn", samples: "-" }, redo: ["search"] },
  {
    point: "between the plan and its sample",
    x: { trees: "whole", plans: "whole", samples: "-" },
    redo: ["implement"],
  },
  {
    point: "mid-append of a sample",
    x: { trees: "whole", plans: "whole", samples: "torn" },
    redo: ["implement"],
  },
];

describe("sra generate: each crash point between two writes, built exactly", () => {
  it.each(CRASH_POINTS)("$point: the rerun redoes only what is missing", async ({ point, x, redo }) => {
    const lines = {
      trees: referenceLines("trees.jsonl"),
      plans: referenceLines("plans.jsonl"),
      samples: referenceLines("samples.jsonl"),
    };
    const done = TAGS.slice(0, 5);
    const victim = TAGS[5] as string;
    const out = path.join(tmp, `point-${point.replace(/\W+/g, "-")}`);
    await fsp.mkdir(out, { recursive: true });
    await fsp.copyFile(path.join(tmp, "reference", "config.json"), path.join(out, "config.json"));
    for (const file of ["trees", "plans", "samples"] as const) {
      let text = done.map((id) => `${lines[file].get(id)}\n`).join("");
      const whole = lines[file].get(victim) as string;
      if (x[file] === "whole") text += `${whole}\n`;
      if (x[file] === "torn") text += whole.slice(0, Math.floor(whole.length / 2));
      await fsp.writeFile(path.join(out, `${file}.jsonl`), text);
    }
    const server = await freshServer();
    const r = await runCli(argsFor(server.url, out));
    expect(r.code, r.stderr).toBe(0);
    // The victim's calls: a new search, or only its code.
    const victimCalls = server.calls.filter((c) =>
      c.body.messages.some((m) => m.content.includes(`Problem ${victim}:`)),
    );
    const purposes = new Set(victimCalls.map((c) => c.purpose));
    if (redo[0] === "implement") expect(purposes).toEqual(new Set(["implement"]));
    else expect(purposes.has("propose")).toBe(true);
    // Nothing of the five finished problems was asked again.
    for (const id of done) {
      expect(
        server.calls.some((c) => c.body.messages.some((m) => m.content.includes(`Problem ${id}:`))),
      ).toBe(false);
    }
    for (const file of ["trees.jsonl", "plans.jsonl", "samples.jsonl"]) {
      const list = readJsonlStrict(path.join(out, file)).map((r) => r.id as string);
      expect(new Set(list).size, file).toBe(list.length);
      expect(new Set(list), file).toEqual(new Set(TAGS));
    }
    expect(byId(readJsonlStrict(path.join(out, "samples.jsonl")))).toEqual(reference.samples);
  });
});

describe("sra generate: leftovers of a killed process", () => {
  it("sweeps temporary files of dead processes at start, and leaves a live process's alone", async () => {
    const server = await freshServer();
    const out = path.join(tmp, "leftovers");
    const first = await runCli([...argsFor(server.url, out), "--limit", "2"]);
    expect(first.code, first.stderr).toBe(0);
    // As a SIGKILL leaves them: an atomic write and a trees.jsonl rewrite that never got renamed.
    // pid 2^22 + 1 is above Linux's pid_max: no such process.
    const dead = 4_194_305;
    const stale = [
      `.config.json.${dead}.m1x2y3.tmp`,
      `.trees.jsonl.${dead}.filter.tmp`,
      `.sra-write-check.${dead}.tmp`,
    ];
    const live = `.summary.json.${process.pid}.abc123.tmp`;
    const unrelated = ".notes.txt.1.tmp";
    for (const f of [...stale, live, unrelated]) await fsp.writeFile(path.join(out, f), "partial");
    const second = await runCli([...argsFor(server.url, out), "--limit", "3"]);
    expect(second.code, second.stderr).toBe(0);
    expect((await tempFilesIn(out)).sort()).toEqual([live, unrelated].sort());
    expect(readJsonlStrict(path.join(out, "samples.jsonl"))).toHaveLength(3);
  });
});
