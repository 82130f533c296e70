/**
 * The decontamination report (pure): counts per benchmark, the distribution of each problem's largest
 * overlap, and the top matches with the text they share, so a person can judge the threshold.
 * Everything is ordered deterministically; nothing depends on the clock or the machine.
 */
import type { BenchmarkItem } from "./ngram-index.js";
import type { Denominator, ScoredHit } from "./overlap.js";
import { denominatorOf, sharedRun } from "./overlap.js";

export const HISTOGRAM_BINS = 10;

export interface BenchmarkSummary {
  name: string;
  /** The file's base name and sha256 (the path is left out so reports compare across machines). */
  file: string;
  sha256: string;
  /** True when the sha256 is the pinned one (built-ins only; null for user files). */
  pinned: boolean | null;
  records: number;
  items: number;
  /** Records with no text to compare. */
  skippedRecords: number;
  /** Items shorter than n tokens (one gram each: they only match an identical short text). */
  shortItems: number;
  grams: number;
}

export interface BenchmarkCounts extends BenchmarkSummary {
  /** Problems removed because of this benchmark (each removed problem is counted once, under its best match). */
  removed: number;
  /** Problems whose best overlap with this benchmark exceeds the threshold (a problem can count for several). */
  overThreshold: number;
  /** The largest overlap any problem had with this benchmark. */
  maxOverlap: number;
}

export interface TopMatch {
  id: string;
  line: number;
  overlap: number;
  removed: boolean;
  benchmark: string;
  benchmarkId: string;
  shared: number;
  problemGrams: number;
  benchmarkGrams: number;
  /** The longest run of problem tokens made of shared grams. */
  longestSharedRun: string;
  longestSharedRunWords: number;
  /** The first 400 characters of each text. */
  question: string;
  benchmarkText: string;
}

export interface DecontaminationReport {
  input: string;
  definition: {
    tokenizer: string;
    n: number;
    threshold: number;
    denominator: Denominator;
    rule: string;
  };
  counts: {
    lines: number;
    blank: number;
    invalid: number;
    /** Repeated questions without an id, dropped by the reader. */
    duplicates: number;
    problems: number;
    kept: number;
    removed: number;
    /** Problems with no word tokens (they can never match). */
    noGrams: number;
  };
  benchmarks: BenchmarkCounts[];
  /** Problems by their largest overlap, in bins of 0.1 (the last bin includes 1.0). */
  histogram: { from: number; to: number; count: number }[];
  top: TopMatch[];
  /** The first 20 input errors (skipped with --skip-invalid). */
  errors: string[];
  /** The first 20 repeated questions dropped. */
  duplicates: string[];
}

export const TOKENIZER_DESCRIPTION =
  "HTML tags removed and entities decoded, NFKC, lower-cased; tokens are runs of letters/digits/marks ([\\p{L}\\p{N}\\p{M}]+), each Han/Hiragana/Katakana character its own token";

/** Round for display in JSON; the exact value is shared / denominator, both given as integers. */
export function roundOverlap(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

interface TopCandidate {
  id: string;
  line: number;
  question: string;
  hit: ScoredHit;
  problemGrams: number;
  removed: boolean;
  order: number;
}

function isBetterCandidate(a: TopCandidate, b: TopCandidate): boolean {
  if (a.hit.overlap !== b.hit.overlap) return a.hit.overlap > b.hit.overlap;
  return a.order < b.order;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Collects per-problem results as they stream by; memory is bounded by the benchmarks and `top`. */
export class ReportBuilder {
  private readonly histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
  private readonly removedBy: number[];
  private readonly overBy: number[];
  private readonly maxBy: number[];
  private readonly topList: TopCandidate[] = [];
  private order = 0;
  kept = 0;
  removed = 0;
  noGrams = 0;

  constructor(
    private readonly options: {
      n: number;
      threshold: number;
      denominator: Denominator;
      top: number;
      benchmarks: readonly BenchmarkSummary[];
      items: readonly BenchmarkItem[];
      benchmarkOf: Int32Array;
    },
  ) {
    const k = options.benchmarks.length;
    this.removedBy = new Array<number>(k).fill(0);
    this.overBy = new Array<number>(k).fill(0);
    this.maxBy = new Array<number>(k).fill(0);
  }

  /** Whether a best overlap means removal: strictly greater than the threshold. */
  isRemoved(best: ScoredHit | null): boolean {
    return best !== null && best.overlap > this.options.threshold;
  }

  /** Record one problem; returns whether it is removed. */
  add(
    problem: { id: string; line: number; question: string },
    score: { grams: number; best: ScoredHit | null; perBenchmark: (ScoredHit | null)[] },
  ): boolean {
    const order = this.order++;
    if (score.grams === 0) this.noGrams++;
    const best = score.best;
    // The bin from integers (shared * 10 / denominator): no float rounding at a bin edge.
    let bin = 0;
    if (best !== null && best.overlap > 0) {
      const d = denominatorOf(score.grams, best.benchmarkGrams, this.options.denominator);
      bin = Math.min(HISTOGRAM_BINS - 1, Math.floor((best.shared * HISTOGRAM_BINS) / d));
    }
    this.histogram[bin]!++;
    score.perBenchmark.forEach((hit, b) => {
      if (hit === null) return;
      if (hit.overlap > this.maxBy[b]!) this.maxBy[b] = hit.overlap;
      if (hit.overlap > this.options.threshold) this.overBy[b]!++;
    });
    const removed = this.isRemoved(best);
    if (removed && best) {
      this.removed++;
      this.removedBy[this.options.benchmarkOf[best.item]!]!++;
    } else {
      this.kept++;
    }
    if (best !== null && best.overlap > 0 && this.options.top > 0) {
      this.offerTop({
        id: problem.id,
        line: problem.line,
        question: problem.question,
        hit: best,
        problemGrams: score.grams,
        removed,
        order,
      });
    }
    return removed;
  }

  private offerTop(c: TopCandidate): void {
    const list = this.topList;
    const max = this.options.top;
    if (list.length >= max && !isBetterCandidate(c, list[list.length - 1]!)) return;
    let i = list.length;
    while (i > 0 && isBetterCandidate(c, list[i - 1]!)) i--;
    list.splice(i, 0, c);
    if (list.length > max) list.pop();
  }

  build(
    input: string,
    readCounts: {
      lines: number;
      blank: number;
      invalid: number;
      duplicates: number;
      problems: number;
      errors: readonly { message: string }[];
      warnings: readonly { message: string }[];
    },
    tokenize: (text: string) => readonly string[],
  ): DecontaminationReport {
    const { n, threshold, denominator } = this.options;
    const top: TopMatch[] = this.topList.map((c) => {
      const item = this.options.items[c.hit.item]!;
      const run = sharedRun(tokenize(c.question), tokenize(item.text), n);
      return {
        id: c.id,
        line: c.line,
        overlap: roundOverlap(c.hit.overlap),
        removed: c.removed,
        benchmark: item.benchmark,
        benchmarkId: item.id,
        shared: c.hit.shared,
        problemGrams: c.problemGrams,
        benchmarkGrams: c.hit.benchmarkGrams,
        longestSharedRun: run.text,
        longestSharedRunWords: run.words,
        question: truncate(c.question, 400),
        benchmarkText: truncate(item.text, 400),
      };
    });
    return {
      input,
      definition: {
        tokenizer: TOKENIZER_DESCRIPTION,
        n,
        threshold,
        denominator,
        rule: `a problem is removed when max over benchmark items of |G(p) ∩ G(b)| / ${
          denominator === "min" ? "min(|G(p)|, |G(b)|)" : denominator === "problem" ? "|G(p)|" : "|G(b)|"
        } > ${threshold}, G(x) = the set of word ${n}-grams of x (one gram of all words if x has fewer than ${n})`,
      },
      counts: {
        lines: readCounts.lines,
        blank: readCounts.blank,
        invalid: readCounts.invalid,
        duplicates: readCounts.duplicates,
        problems: readCounts.problems,
        kept: this.kept,
        removed: this.removed,
        noGrams: this.noGrams,
      },
      benchmarks: this.options.benchmarks.map((b, i) => ({
        ...b,
        removed: this.removedBy[i]!,
        overThreshold: this.overBy[i]!,
        maxOverlap: roundOverlap(this.maxBy[i]!),
      })),
      histogram: this.histogram.map((count, i) => ({
        from: i / HISTOGRAM_BINS,
        to: (i + 1) / HISTOGRAM_BINS,
        count,
      })),
      top,
      errors: readCounts.errors.map((e) => e.message),
      duplicates: readCounts.warnings.map((e) => e.message),
    };
  }
}
