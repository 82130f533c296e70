/**
 * The overlap definition (pure), in one place:
 *
 *   G(x)          the set of word n-grams of x's tokens; a text of k < n tokens (k > 0) has the one gram
 *                 of all its k tokens; an empty text has no grams.
 *   overlap(p, b) |G(p) ∩ G(b)| / D, where D is min(|G(p)|, |G(b)|) ("min", the default),
 *                 |G(p)| ("problem") or |G(b)| ("benchmark"); 0 when D is 0.
 *   removed       when the largest overlap with any benchmark item is strictly greater than the threshold.
 *
 * `overlapOfTexts` is the direct reading of that definition with string sets; the index must agree
 * with it exactly (the tests check both ways), and the benchmark script times one against the other.
 */
import { gramWindows, type IndexMatch, type NgramIndex } from "./ngram-index.js";

export const DENOMINATORS = ["min", "problem", "benchmark"] as const;
export type Denominator = (typeof DENOMINATORS)[number];

/** D in overlap = shared / D. */
export function denominatorOf(
  problemGrams: number,
  benchmarkGrams: number,
  denominator: Denominator,
): number {
  return denominator === "problem"
    ? problemGrams
    : denominator === "benchmark"
      ? benchmarkGrams
      : Math.min(problemGrams, benchmarkGrams);
}

export function overlapValue(
  shared: number,
  problemGrams: number,
  benchmarkGrams: number,
  denominator: Denominator,
): number {
  const d = denominatorOf(problemGrams, benchmarkGrams, denominator);
  return d === 0 ? 0 : shared / d;
}

/** G(x) as strings (tokens joined by a space; tokens never hold one). */
export function gramSet(tokens: readonly string[], n: number): Set<string> {
  const { length, count } = gramWindows(tokens.length, n);
  const grams = new Set<string>();
  for (let s = 0; s < count; s++) grams.add(tokens.slice(s, s + length).join(" "));
  return grams;
}

export interface PairOverlap {
  shared: number;
  problemGrams: number;
  benchmarkGrams: number;
  overlap: number;
}

export function overlapOfGramSets(p: Set<string>, b: Set<string>, denominator: Denominator): PairOverlap {
  const [small, large] = p.size <= b.size ? [p, b] : [b, p];
  let shared = 0;
  for (const g of small) if (large.has(g)) shared++;
  return {
    shared,
    problemGrams: p.size,
    benchmarkGrams: b.size,
    overlap: overlapValue(shared, p.size, b.size, denominator),
  };
}

/** The definition applied to two texts directly. */
export function overlapOfTexts(
  problem: string,
  benchmark: string,
  options: { n: number; denominator: Denominator; tokenize: (text: string) => readonly string[] },
): PairOverlap {
  return overlapOfGramSets(
    gramSet(options.tokenize(problem), options.n),
    gramSet(options.tokenize(benchmark), options.n),
    options.denominator,
  );
}

/** A problem's overlap with one benchmark item. */
export interface ScoredHit {
  item: number;
  shared: number;
  benchmarkGrams: number;
  overlap: number;
}

/** Is a better than b? Larger overlap, then more shared grams, then the earlier item (a total order). */
export function isBetterHit(a: ScoredHit, b: ScoredHit): boolean {
  if (a.overlap !== b.overlap) return a.overlap > b.overlap;
  if (a.shared !== b.shared) return a.shared > b.shared;
  return a.item < b.item;
}

export interface ProblemScore {
  /** |G(p)|. */
  grams: number;
  /** The best hit over all items, or null when no gram is shared. */
  best: ScoredHit | null;
  /** The best hit per benchmark (by benchmark index), null where nothing is shared. */
  perBenchmark: (ScoredHit | null)[];
}

/**
 * Score a match: the best item overall and per benchmark. `benchmarkOf[item]` is the item's benchmark
 * index, in 0..benchmarkCount-1.
 */
export function scoreMatch(
  match: IndexMatch,
  itemGrams: Int32Array,
  benchmarkOf: Int32Array,
  benchmarkCount: number,
  denominator: Denominator,
): ProblemScore {
  const perBenchmark: (ScoredHit | null)[] = new Array(benchmarkCount).fill(null);
  let best: ScoredHit | null = null;
  for (const { item, shared } of match.hits) {
    const bg = itemGrams[item]!;
    const hit: ScoredHit = {
      item,
      shared,
      benchmarkGrams: bg,
      overlap: overlapValue(shared, match.grams, bg, denominator),
    };
    const b = benchmarkOf[item]!;
    const cur = perBenchmark[b];
    if (cur === null || cur === undefined || isBetterHit(hit, cur)) perBenchmark[b] = hit;
    if (best === null || isBetterHit(hit, best)) best = hit;
  }
  return { grams: match.grams, best, perBenchmark };
}

/**
 * The naive way, for reference and timing: compare the problem's gram set with every item's.
 * Returns the same IndexMatch the index gives.
 */
export function naiveMatch(
  problemTokens: readonly string[],
  itemSets: readonly Set<string>[],
  n: number,
): IndexMatch {
  const p = gramSet(problemTokens, n);
  const hits: { item: number; shared: number }[] = [];
  for (let item = 0; item < itemSets.length; item++) {
    const { shared } = overlapOfGramSets(p, itemSets[item]!, "min");
    if (shared > 0) hits.push({ item, shared });
  }
  return { grams: p.size, hits };
}

/**
 * What a person needs to judge a match: the longest run of the problem's tokens made of grams that are
 * in the benchmark item (overlapping shared grams merged), and how many grams are shared.
 */
export function sharedRun(
  problemTokens: readonly string[],
  benchmarkTokens: readonly string[],
  n: number,
): { text: string; words: number } {
  const b = gramSet(benchmarkTokens, n);
  const { length, count } = gramWindows(problemTokens.length, n);
  let bestStart = -1;
  let bestEnd = -1;
  let runStart = -1;
  for (let s = 0; s <= count; s++) {
    const inside = s < count && b.has(problemTokens.slice(s, s + length).join(" "));
    if (inside && runStart < 0) runStart = s;
    if (!inside && runStart >= 0) {
      // Windows runStart..s-1 cover tokens runStart .. s-1+length-1.
      if (s - runStart > bestEnd - bestStart) {
        bestStart = runStart;
        bestEnd = s;
      }
      runStart = -1;
    }
  }
  if (bestStart < 0) return { text: "", words: 0 };
  const tokens = problemTokens.slice(bestStart, bestEnd - 1 + length);
  return { text: tokens.join(" "), words: tokens.length };
}

/** Grams per item of the naive way (built once, like the index). */
export function itemGramSets(
  index: NgramIndex,
  tokenize: (text: string) => readonly string[],
): Set<string>[] {
  return index.items.map((item) => gramSet(tokenize(item.text), index.n));
}
