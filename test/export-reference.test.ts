/**
 * Exporting the reference implementation's published data (../shared/datasets/sra-mcts-reference):
 * three files of 1,208 rows, one per stage of their pipeline.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError, UsageError } from "../src/errors.js";
import { exportDataset } from "../src/export/export-dataset.js";
import { PLAN_INSTRUCTIONS } from "../src/export/instructions.js";
import { DATASETS } from "./support/cli.js";

const REF = path.join(DATASETS, "sra-mcts-reference");
const FILES = ["mcts-filtered-llama3.1-8B", "mcts-piped-llama3.1-8B", "mcts-trans-llama3.1-8B"] as const;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "sra-ref-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

type Alpaca = { id: string; instruction: string; input: string; output: string };

async function exportRef(stem: string, withPlan = true) {
  const out = path.join(tmp, `${stem}-${withPlan ? "plan" : "code"}`);
  const report = await exportDataset({
    format: "llamafactory",
    input: path.join(REF, `${stem}.json`),
    out,
    baseModel: "llama-3.1-8b",
    withPlan,
  });
  const rows = JSON.parse(await readFile(report.files.dataset, "utf8")) as Alpaca[];
  return { report, rows };
}

describe("reference export", () => {
  it.each(FILES)("%s: all 1208 rows, named after the file, no embedded instruction left", async (stem) => {
    const { report, rows } = await exportRef(stem);
    expect(report.inputKind).toBe("reference");
    expect(report.read).toBe(1208);
    expect(report.written).toBe(1208);
    expect(rows).toHaveLength(1208);
    expect(report.name).toBe(stem);
    expect(rows[0]!.id).toBe(`${stem}:1`);
    for (const row of rows) {
      expect(PLAN_INSTRUCTIONS).toContain(row.instruction);
      expect(row.input).not.toMatch(/^(?:#+ )?Question:|Here's the question:|Python code/);
      expect(row.output).toMatch(/^Step 1:/);
    }
  });

  it("piped rows become plan + one python block; unsplittable rows stay as published", async () => {
    const { rows } = await exportRef("mcts-piped-llama3.1-8B");
    const normalized = rows.filter(
      (r) => /\n\n```python\n[\s\S]*\n```$/.test(r.output) && !r.output.includes("### "),
    );
    expect(normalized).toHaveLength(1178);
    const first = rows[0]!;
    expect(first.input).toMatch(/^You are given an `m x n` integer array `grid`/);
    expect(first.output).toMatch(
      /^Step 1: Initialize the base case[^\n]*\nStep 2: [^\n]*\n\n```python\nclass Solution:\n/,
    );
    expect(first.output).not.toContain("### Explanation");
  });

  it("trans rows take the plan from the question", async () => {
    const { rows } = await exportRef("mcts-trans-llama3.1-8B");
    expect(rows[0]!.input.startsWith("Given two sorted arrays `nums1` and `nums2`")).toBe(true);
    expect(rows[0]!.output).toMatch(
      /^Step 1: Calculate the total length[\s\S]*\n\n```python\nclass Solution:/,
    );
  });

  it("filtered rows (plans only) are exported as published", async () => {
    const { rows } = await exportRef("mcts-filtered-llama3.1-8B");
    expect(rows[0]!.output).toMatch(/^Step 1: Calculate the total length[^\n]*\nStep 2: [^\n]*$/);
    expect(rows.every((r) => !r.output.includes("```"))).toBe(true);
  });

  it("--no-plan extracts only the python code", async () => {
    const { report, rows } = await exportRef("mcts-piped-llama3.1-8B", false);
    expect(report.written).toBe(1178);
    expect(report.skipped.noCode).toBe(30);
    for (const row of rows) expect(row.output).toMatch(/^```python\n(?!Step )[\s\S]*\n```$/);
    const filtered = await exportRef("mcts-filtered-llama3.1-8B", false).catch((e: unknown) => e);
    expect(filtered).toBeInstanceOf(InputError);
    expect((filtered as Error).message).toMatch(/all 1208 records were skipped \(1208 without code/);
  });

  it("needs --base-model, as the file does not name the model", async () => {
    const err = await exportDataset({
      format: "llamafactory",
      input: path.join(REF, "mcts-piped-llama3.1-8B.json"),
      out: path.join(tmp, "nobase"),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/cannot tell which model/);
  });

  it("is not a Sample file: --format jsonl is refused", async () => {
    const err = await exportDataset({
      format: "jsonl",
      input: path.join(REF, "mcts-piped-llama3.1-8B.json"),
      out: path.join(tmp, "jsonl"),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
  });
});
