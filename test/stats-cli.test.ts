/** `sra stats` through the built binary. Build first (npm run build). */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunStats } from "../src/run-dir/accumulator.js";
import { runCli } from "./support/cli.js";
import { cotRun, standardRun, writeRunFixture } from "./support/run-fixture.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "sra-stats-cli-"));
  await writeRunFixture(path.join(tmp, "runs", "mcts"), standardRun());
  await writeRunFixture(path.join(tmp, "runs", "cot"), cotRun());
  await mkdir(path.join(tmp, "runs", "empty"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("sra stats (CLI)", () => {
  it("prints two runs side by side", async () => {
    const r = await runCli(["stats", "runs/mcts", "runs/cot"], { cwd: tmp });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^\s+runs\/mcts\s+runs\/cot$/);
    expect(lines.find((l) => l.startsWith("  plans "))).toMatch(/ 4\s+2$/);
    expect(lines.find((l) => l.startsWith("  strategy "))).toMatch(/mcts\s+cot$/);
  });

  it("a CoT run: no <end> to reach, its plans counted as complete; the model as generate names it", async () => {
    // As `--strategy cot` writes them: single-pass plans whose draft was not cut off.
    const fixture = cotRun();
    for (const p of fixture.plans ?? []) p.reachedEnd = true;
    const dir = await writeRunFixture(path.join(tmp, "runs", "cot-complete"), fixture);
    const r = await runCli(["stats", dir]);
    expect(r.code, r.stderr).toBe(0);
    const row = (label: string) => r.stdout.split("\n").find((l) => l.startsWith(`  ${label} `)) ?? "";
    expect(row("reached <end>")).toMatch(/\s-$/);
    expect(row("single pass, not cut off")).toMatch(/2 \(100\.0%\)$/);
    expect(row("stop: single-pass")).toMatch(/2 \(100\.0%\)$/);
    expect(row("model")).toMatch(/meta-llama\/Llama-3\.1-8B-Instruct \(preset llama-3\.1-8b\)$/);
  });

  it("a merged run is 'merged', not 'no summary.json'", async () => {
    const merged = path.join(tmp, "runs", "merged");
    const a = await writeRunFixture(path.join(tmp, "runs", "shard-a"), {
      ...standardRun(),
      summary: undefined,
    });
    const b = await writeRunFixture(path.join(tmp, "runs", "shard-b"), {
      ...standardRun(),
      summary: undefined,
    });
    const ok = await runCli(["merge", a, b, "--out", merged]);
    expect(ok.code, ok.stderr).toBe(0);
    const r = await runCli(["stats", merged, a]);
    expect(r.code, r.stderr).toBe(0);
    const finished = r.stdout.split("\n").find((l) => l.startsWith("  finished "));
    expect(finished).toMatch(
      /merged \(merge-report\.json\)\s+no \(no summary\.json: killed, or still running\)$/,
    );
  });

  it("prints JSON with --json", async () => {
    const r = await runCli(["stats", "--json", "runs/mcts"], { cwd: tmp });
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as { runs: RunStats[] };
    expect(parsed.runs).toHaveLength(1);
    expect(parsed.runs[0]).toMatchObject({
      run: "runs/mcts",
      problems: { seen: 5, done: 2, failed: 2, unfinished: 1 },
    });
  });

  it.each([
    [["runs/nope"], 1, /sra: runs\/nope: run directory not found/],
    [["runs/mcts", "runs/empty"], 1, /runs\/empty: not a run directory/],
    [[], 2, /missing required argument/],
    [["--bins", "3", "runs/mcts"], 2, /unknown option/],
  ])("%j exits %i", async (args, code, message) => {
    const r = await runCli(["stats", ...args], { cwd: tmp });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
    if (code !== 0) expect(r.stdout).toBe("");
  });
});
