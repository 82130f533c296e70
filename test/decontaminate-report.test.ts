import { describe, expect, it } from "vitest";
import type { BenchmarkItem } from "../src/decontaminate/ngram-index.js";
import type { ScoredHit } from "../src/decontaminate/overlap.js";
import { type BenchmarkSummary, ReportBuilder } from "../src/decontaminate/report.js";
import { tokenize } from "../src/decontaminate/tokenize.js";

const items: BenchmarkItem[] = [
  { benchmark: "a", id: "a/0", text: "alpha text" },
  { benchmark: "b", id: "b/0", text: "beta text" },
];
const summary = (name: string): BenchmarkSummary => ({
  name,
  file: `${name}.jsonl`,
  sha256: "0",
  pinned: null,
  records: 1,
  items: 1,
  skippedRecords: 0,
  shortItems: 1,
  grams: 1,
});

function builder(top = 3) {
  return new ReportBuilder({
    n: 10,
    threshold: 0.5,
    denominator: "benchmark",
    top,
    benchmarks: [summary("a"), summary("b")],
    items,
    benchmarkOf: Int32Array.from([0, 1]),
  });
}

/** A problem whose best hit is `shared` of `benchmarkGrams` grams of item `item`. */
function hit(item: number, shared: number, benchmarkGrams: number): ScoredHit {
  return { item, shared, benchmarkGrams, overlap: shared / benchmarkGrams };
}

describe("report", () => {
  it.each([
    [0, 10, 0],
    [1, 10, 1],
    [3, 10, 3],
    [7, 10, 7],
    [29, 100, 2],
    [5, 10, 5],
    [9, 10, 9],
    [10, 10, 9], // 1.0 goes in the last bin
  ])("%i/%i grams falls in bin %i", (shared, of, bin) => {
    const b = builder();
    const best = shared === 0 ? null : hit(0, shared, of);
    b.add({ id: "p", line: 1, question: "q" }, { grams: 50, best, perBenchmark: [best, null] });
    const rep = b.build(
      "in.jsonl",
      { lines: 1, blank: 0, invalid: 0, duplicates: 0, problems: 1, errors: [], warnings: [] },
      tokenize,
    );
    expect(rep.histogram.map((h) => h.count)).toEqual(
      Array.from({ length: 10 }, (_, i) => (i === bin ? 1 : 0)),
    );
  });

  it("removes strictly above the threshold, attributes each removal once, ranks the top matches", () => {
    const b = builder(2);
    const add = (id: string, best: ScoredHit | null, per: (ScoredHit | null)[]) =>
      b.add(
        { id, line: Number(id.slice(1)), question: `question ${id}` },
        { grams: 20, best, perBenchmark: per },
      );
    expect(add("p1", hit(0, 5, 10), [hit(0, 5, 10), null])).toBe(false); // exactly 0.5: kept
    expect(add("p2", hit(1, 6, 10), [hit(0, 6, 10), hit(1, 6, 10)])).toBe(true);
    expect(add("p3", hit(0, 9, 10), [hit(0, 9, 10), hit(1, 2, 10)])).toBe(true);
    expect(add("p4", hit(0, 6, 10), [hit(0, 6, 10), null])).toBe(true);
    expect(add("p5", null, [null, null])).toBe(false);
    const rep = b.build(
      "in.jsonl",
      { lines: 5, blank: 0, invalid: 0, duplicates: 0, problems: 5, errors: [], warnings: [] },
      tokenize,
    );
    expect(rep.counts).toMatchObject({ kept: 2, removed: 3 });
    expect(rep.benchmarks.map((x) => [x.name, x.removed, x.overThreshold, x.maxOverlap])).toEqual([
      ["a", 2, 3, 0.9],
      ["b", 1, 1, 0.6],
    ]);
    // Top 2 by overlap; p2 and p4 tie at 0.6 and the earlier one wins.
    expect(rep.top.map((t) => [t.id, t.overlap, t.benchmarkId])).toEqual([
      ["p3", 0.9, "a/0"],
      ["p2", 0.6, "b/0"],
    ]);
    expect(rep.definition.rule).toMatch(/\|G\(p\) ∩ G\(b\)\| \/ \|G\(b\)\| > 0\.5/);
  });
});
