/**
 * scripts/compare-strategies.ts ships working: every variant runs through generate on a few problems,
 * its code checked in the real executor, and the table has a row each. Its scripted model makes the comparison mean something, so the
 * orderings that follow from the design are checked too (selecting by tests never does worse than
 * not, on the same problems and replies).
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatTable,
  type Row,
  runVariant,
  VARIANTS,
  writeComparisonProblems,
} from "../scripts/compare-strategies.js";

let dir: string;
const rows: Row[] = [];

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-compare-test-"));
  const problems = await writeComparisonProblems(dir, 6);
  for (const v of VARIANTS) rows.push(await runVariant(v, { problems, dir, seed: 0 }));
}, 120_000);

afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const row = (name: string) => rows.find((r) => r.variant === name) as Row;

describe("scripts/compare-strategies.ts", () => {
  it("runs every strategy, mcts with and without --verify-end, each writing a sample per problem", () => {
    expect(rows.map((r) => r.variant)).toEqual(VARIANTS.map((v) => v.name));
    for (const r of rows) expect([r.variant, r.samples, r.problems]).toEqual([r.variant, 6, 6]);
    const table = formatTable(rows).split("\n");
    expect(table).toHaveLength(2 + VARIANTS.length);
    expect(table[0]).toContain("tests pass");
  });

  it("selecting by tests does no worse than not; --verify-end tries at least one terminal per problem", () => {
    expect(row("mcts --verify-end").passRate).toBeGreaterThanOrEqual(row("mcts").passRate);
    expect(row("best-of-n (tests)").passRate).toBeGreaterThanOrEqual(row("best-of-n (scores)").passRate);
    expect(row("self-consistency (tests)").passRate).toBeGreaterThanOrEqual(
      row("self-consistency (examples)").passRate,
    );
    expect(row("revision (tests)").passRate).toBeGreaterThanOrEqual(row("revision (critic)").passRate);
    expect(row("mcts --verify-end").terminalsTried).toBeGreaterThanOrEqual(1);
    expect(row("mcts").terminalsTried).toBeNull();
  });
});
