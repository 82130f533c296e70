/**
 * The strategies that run code in their search resume after a SIGKILL like the others: with the
 * executor's Verifier and ExampleRunner bound to each problem (the oracle model's real code against
 * the problems' assert tests, or its outputs on the statement's examples), the finished run equals an
 * uninterrupted one. The verdicts are not journaled: they depend only on the code, so running the
 * replayed code again gives the same choice.
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { generateArgs, MODEL, readJsonlStrict, tempFilesIn } from "./support/faults.js";
import { oracleScript, writeOracleProblems } from "./support/oracle-script.js";
import { killAfterLines, spawnCli } from "./support/spawn-cli.js";

const TAGS = Array.from({ length: 6 }, (_, i) => `r-${i}`);
let tmp: string;
const problems: Record<"tests" | "examples", string> = { tests: "", examples: "" };
const servers: FakeServer[] = [];

async function freshServer(latencyMs = 2): Promise<FakeServer> {
  const s = await startFakeOpenAiServer({
    script: oracleScript({ endAfterSteps: 3, approveAfterSteps: 5, seed: 3, bySeed: true }),
    models: [MODEL],
    latency: { baseMs: latencyMs, perTokenMs: 0 },
  });
  servers.push(s);
  return s;
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-search-resume-"));
  problems.tests = await writeOracleProblems(path.join(tmp, "tests.jsonl"), TAGS, { tests: true });
  problems.examples = await writeOracleProblems(path.join(tmp, "examples.jsonl"), TAGS, { tests: false });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** Plans and samples by id, without their wall-clock fields. */
function readRun(out: string): Map<string, unknown>[] {
  return (["plans", "samples"] as const).map(
    (file) =>
      new Map(
        readJsonlStrict(path.join(out, `${file}.jsonl`)).map((r) => {
          const {
            seconds: _s,
            meta,
            ...rest
          } = r as Record<string, unknown> & { meta?: Record<string, unknown> };
          const { seconds: _ms, ...m } = meta ?? {};
          return [rest.id as string, meta ? { ...rest, meta: m } : rest];
        }),
      ),
  );
}

// Per strategy: the problems, its flags, and what every plan has when the search ran code (a
// counter, or "tests": the verdict of its code).
const CASES = [
  ["best-of-n", "tests", [], "select.tests"],
  ["revision", "tests", [], "tests"],
  ["mcts", "tests", ["--verify-end", "--iterations", "12"], "verify.tried"],
  ["self-consistency", "examples", [], "select.outputs"],
] as const;

describe("sra generate: code checks in the search, SIGKILL mid-run, then the same command", () => {
  it.each(CASES)(
    "%s on problems with %s: the finished run equals an uninterrupted one",
    async (strategy, kind, extra, counter) => {
      const args = (url: string, out: string) =>
        generateArgs({
          url,
          problems: problems[kind],
          out,
          extra: ["--strategy", strategy, "--concurrency", "2", ...extra],
        });
      const reference = path.join(tmp, `ref-${strategy}`);
      const ref = await runCli(args((await freshServer()).url, reference));
      expect(ref.code, ref.stderr).toBe(0);
      const out = path.join(tmp, `killed-${strategy}`);
      const cli = spawnCli(args((await freshServer(4)).url, out));
      const { killed, lines: before } = await killAfterLines(cli, path.join(out, "plans.jsonl"), 2);
      const r = await runCli(args((await freshServer()).url, out));
      expect(r.code, r.stderr).toBe(0);
      const [refPlans, refSamples] = readRun(reference);
      const [gotPlans, gotSamples] = readRun(out);
      expect(new Set(gotSamples?.keys())).toEqual(new Set(TAGS));
      expect(gotPlans).toEqual(refPlans);
      for (const value of refPlans?.values() ?? []) {
        const plan = value as { counters: Record<string, number>; tests?: object };
        if (counter === "tests") expect(plan.tests).toBeDefined();
        else expect(plan.counters[counter]).toBeGreaterThan(0);
      }
      expect(gotSamples).toEqual(refSamples);
      expect(await tempFilesIn(out)).toEqual([]);
      console.log(
        `${strategy}: ${killed ? `killed with ${before} of ${TAGS.length} plans written` : "finished before the kill"}`,
      );
    },
  );
});
