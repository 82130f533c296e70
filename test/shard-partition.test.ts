import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { problemId } from "../src/problems/read-problems.js";
import { formatShard, inShard, parseShard, shardOf } from "../src/run/shard.js";
import { createRng } from "../src/util/rng.js";
import { DATASETS } from "./support/cli.js";

describe("parseShard", () => {
  it.each([
    ["1/1", { index: 1, count: 1 }],
    ["1/4", { index: 1, count: 4 }],
    ["4/4", { index: 4, count: 4 }],
    [" 2 / 3 ", { index: 2, count: 3 }],
  ])("accepts %j", (text, want) => {
    expect(parseShard(text)).toEqual(want);
    expect(formatShard(want)).toBe(`${want.index}/${want.count}`);
  });

  it.each([
    ["0/4", /numbered from 1|from 1 to 4/],
    ["5/4", /from 1 to 4/],
    ["1/0", /count must be/],
    ["a/b", /must look like i\/n/],
    ["1", /must look like i\/n/],
    ["-1/4", /must look like i\/n/],
    ["1.5/4", /must look like i\/n/],
  ])("rejects %j", (text, message) => {
    expect(() => parseShard(text)).toThrow(message);
  });
});

/** The ids of the paper's LeetCode set, as `sra generate` derives them. */
function datasetIds(): string[] {
  const text = readFileSync(path.join(DATASETS, "leetcode-uneasy.jsonl"), "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => problemId((JSON.parse(l) as { question: string }).question));
}

function randomIds(seed: number, n: number): string[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => `id-${i}-${Math.floor(rng.next() * 1e9).toString(36)}`);
}

describe("shard partition", () => {
  const ids = datasetIds();

  it.each([1, 2, 3, 4, 7, 8, 16, 33])("n=%i: every id in exactly one shard, union = input", (n) => {
    for (const set of [[...new Set(ids)], randomIds(n, 500)]) {
      const seen = new Map<string, number>();
      for (let i = 1; i <= n; i++) {
        for (const id of set) {
          if (inShard(id, { index: i, count: n })) seen.set(id, (seen.get(id) ?? 0) + 1);
        }
      }
      expect(seen.size).toBe(new Set(set).size);
      expect([...seen.values()].every((c) => c === 1)).toBe(true);
    }
  });

  it("is deterministic and roughly balanced", () => {
    const n = 4;
    const sizes = [0, 0, 0, 0];
    for (const id of ids) {
      const s = shardOf(id, n);
      expect(shardOf(id, n)).toBe(s);
      sizes[s - 1] = (sizes[s - 1] ?? 0) + 1;
    }
    const expected = ids.length / n;
    for (const size of sizes) expect(Math.abs(size - expected)).toBeLessThan(expected * 0.15);
  });

  it("no shard means everything", () => {
    expect(inShard("x", null)).toBe(true);
    expect(inShard("x", { index: 1, count: 1 })).toBe(true);
  });
});
