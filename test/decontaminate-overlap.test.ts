import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN, DEFAULT_AGAINST } from "../src/decontaminate/benchmarks.js";
import { loadBenchmark } from "../src/decontaminate/datasets.js";
import { type BenchmarkItem, NgramIndex } from "../src/decontaminate/ngram-index.js";
import {
  type Denominator,
  gramSet,
  itemGramSets,
  naiveMatch,
  overlapOfTexts,
  scoreMatch,
  sharedRun,
} from "../src/decontaminate/overlap.js";
import { hashChars, normalizeText, scanTokenSpans, tokenize } from "../src/decontaminate/tokenize.js";
import { createRng } from "../src/util/rng.js";
import { DATASETS } from "./support/cli.js";

/** Words w1 w2 ... wk (distinct tokens, so gram counts are easy to reason about). */
function words(prefix: string, from: number, to: number): string {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${prefix}${i}`);
  return out.join(" ");
}

/** The overlap of one problem with one benchmark text, through the index. */
function indexOverlap(problem: string, benchmark: string, n: number, denominator: Denominator) {
  const index = NgramIndex.build([{ benchmark: "b", id: "b/0", text: benchmark }], n, tokenize);
  const score = scoreMatch(index.matchText(problem), index.itemGrams, new Int32Array(1), 1, denominator);
  return { overlap: score.best?.overlap ?? 0, grams: score.grams };
}

const B19 = words("w", 1, 19); // 10 grams
const NOISE = words("u", 1, 20);

describe("overlap definition", () => {
  it.each<{
    name: string;
    problem: string;
    benchmark: string;
    n?: number;
    denominator?: Denominator;
    overlap: number;
    removed: boolean;
  }>([
    {
      name: "benchmark pasted whole into a longer problem",
      problem: `Some preamble here. ${B19} And a long tail of other words: ${NOISE}`,
      benchmark: B19,
      overlap: 1,
      removed: true,
    },
    {
      name: "problem pasted whole into a longer benchmark",
      problem: B19,
      benchmark: `${NOISE} ${B19} ${words("v", 1, 30)}`,
      overlap: 1,
      removed: true,
    },
    {
      name: "6 of 10 benchmark grams: just above 0.5",
      problem: `${words("w", 1, 15)} ${NOISE}`,
      benchmark: B19,
      overlap: 0.6,
      removed: true,
    },
    {
      name: "5 of 10 benchmark grams: exactly 0.5 is kept (strictly greater removes)",
      problem: `${words("w", 1, 14)} ${NOISE}`,
      benchmark: B19,
      overlap: 0.5,
      removed: false,
    },
    {
      name: "4 of 10 benchmark grams: below",
      problem: `${words("w", 1, 13)} ${NOISE}`,
      benchmark: B19,
      overlap: 0.4,
      removed: false,
    },
    {
      name: "a 9-word run shares no 10-gram",
      problem: `${words("w", 1, 9)} ${NOISE}`,
      benchmark: B19,
      overlap: 0,
      removed: false,
    },
    {
      name: "denominator problem: the pasted benchmark is a small part of the problem",
      problem: `${B19} ${NOISE}`, // 39 tokens -> 30 grams, 10 shared
      benchmark: B19,
      denominator: "problem",
      overlap: 10 / 30,
      removed: false,
    },
    {
      name: "denominator benchmark: the same pair",
      problem: `${B19} ${NOISE}`,
      benchmark: B19,
      denominator: "benchmark",
      overlap: 1,
      removed: true,
    },
    {
      name: "short texts (< n words) that are equal match as one gram",
      problem: "Sort the list!",
      benchmark: "sort the LIST.",
      overlap: 1,
      removed: true,
    },
    {
      name: "a short problem inside a long benchmark: different gram lengths never match",
      problem: "sort the list",
      benchmark: `please sort the list ${NOISE}`,
      overlap: 0,
      removed: false,
    },
    {
      name: "a short benchmark inside a long problem: no match either",
      problem: `please sort the list ${NOISE}`,
      benchmark: "sort the list",
      overlap: 0,
      removed: false,
    },
    { name: "an empty problem never matches", problem: "", benchmark: B19, overlap: 0, removed: false },
    {
      name: "punctuation only is empty",
      problem: "?!, ... --- ```",
      benchmark: "...",
      overlap: 0,
      removed: false,
    },
    { name: "an empty benchmark never matches", problem: B19, benchmark: "   ", overlap: 0, removed: false },
    {
      name: "case, punctuation, underscores and markdown do not matter",
      problem: "**Return** the SUM of all_elements, in `nums`; that are (strictly) greater-than k... Done!",
      benchmark: "return the sum of all elements in nums that are strictly greater than k done",
      overlap: 1,
      removed: true,
    },
    {
      name: "HTML statements compare as text",
      problem:
        "<p>Return the sum of all elements in <code>nums</code> that are &lt;strictly&gt; greater than k.</p>",
      benchmark: "Return the sum of all elements in nums that are strictly greater than k.",
      overlap: 1,
      removed: true,
    },
    {
      // 57 tokens, 48 windows, but only 19 distinct grams (the text has period 19); a multiset would give 30/48.
      name: "repeated grams count once (sets)",
      problem: `${B19} ${B19} ${B19}`,
      benchmark: B19,
      denominator: "problem",
      overlap: 10 / 19,
      removed: true,
    },
    {
      name: "n = 3 counts trigrams",
      problem: "a b c d x y",
      benchmark: "a b c d e",
      n: 3,
      overlap: 2 / 3,
      removed: true,
    },
  ])("$name", ({ problem, benchmark, n = 10, denominator = "min", overlap, removed }) => {
    const direct = overlapOfTexts(problem, benchmark, { n, denominator, tokenize });
    expect(direct.overlap).toBeCloseTo(overlap, 12);
    expect(direct.overlap > 0.5).toBe(removed);
    const viaIndex = indexOverlap(problem, benchmark, n, denominator);
    expect(viaIndex.overlap).toBe(direct.overlap);
    expect(viaIndex.grams).toBe(direct.problemGrams);
  });

  it("counts distinct problem grams, also those holding words no benchmark has", () => {
    const index = NgramIndex.build([{ benchmark: "b", id: "0", text: "alpha beta gamma" }], 2, tokenize);
    // grams: "zeta eta", "eta zeta" (twice), "zeta alpha", "alpha beta", "beta gamma" -> 5 distinct
    const m = index.matchText("zeta eta zeta eta zeta alpha beta gamma");
    expect(m.grams).toBe(gramSet(tokenize("zeta eta zeta eta zeta alpha beta gamma"), 2).size);
    expect(m.grams).toBe(5);
    expect(m.hits).toEqual([{ item: 0, shared: 2 }]);
  });
});

describe("tokeniser", () => {
  it.each([
    ["has_close_elements([1.0, 2.8])", ["has", "close", "elements", "1", "0", "2", "8"]],
    ["Don't STOP", ["don", "t", "stop"]],
    ["Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ", ["full", "width", "abc"]],
    ["déjà vu, naïve", ["déjà", "vu", "naïve"]],
    ["给定一个数组 nums", ["给", "定", "一", "个", "数", "组", "nums"]],
    ["<p>a<br/>b</p> &amp; x&lt;y", ["a", "b", "x", "y"]],
    ["0 <= i < n", ["0", "i", "n"]],
    ["", []],
  ])("%j", (text, tokens) => {
    expect(tokenize(text)).toEqual(tokens);
  });

  it("scanTokenSpans gives exactly the regex tokens and their hashes, on random unicode text", () => {
    const rng = createRng(7);
    const pool = [
      ..."abcXYZ019 _-.,;:!?'\"()[]{}<>/\\\n\t",
      "é",
      "e\u0301",
      "ß",
      "İ",
      "ﬁ",
      "Ａ",
      "①",
      "½",
      "中",
      "文",
      "ひ",
      "カ",
      "ｶ",
      "\u3099",
      "한",
      "Ω",
      "я",
      "٣",
      "\u200b",
      "\u00a0",
      "😀",
      "𝒳",
      "𠀋",
      "\ufffd",
      "&amp;",
      "<b>",
      "</p>",
    ];
    for (let t = 0; t < 2000; t++) {
      let text = "";
      const len = rng.int(40);
      for (let i = 0; i < len; i++) text += rng.pick(pool);
      const s = normalizeText(text);
      const spans = {
        start: new Int32Array(s.length),
        end: new Int32Array(s.length),
        hash: new Int32Array(s.length),
      };
      const count = scanTokenSpans(s, spans);
      const scanned = Array.from({ length: count }, (_, k) => s.slice(spans.start[k], spans.end[k]));
      expect(scanned, JSON.stringify(text)).toEqual(tokenize(text));
      for (let k = 0; k < count; k++)
        expect(spans.hash[k]).toBe(hashChars(s, spans.start[k]!, spans.end[k]!));
    }
  });
});

describe("n-gram index against the naive definition", () => {
  it("agrees with all-pairs on tiny vocabularies (many repeated and colliding grams)", () => {
    const rng = createRng(11);
    const vocab = ["a", "b", "c", "d"];
    const text = (len: number) => Array.from({ length: len }, () => rng.pick(vocab)).join(" ");
    const items: BenchmarkItem[] = Array.from({ length: 60 }, (_, i) => ({
      benchmark: i < 30 ? "x" : "y",
      id: String(i),
      text: text(rng.int(12)),
    }));
    for (const n of [1, 2, 3, 5]) {
      const index = NgramIndex.build(items, n, tokenize);
      const sets = itemGramSets(index, tokenize);
      for (let k = 0; k < 200; k++) {
        const p = `${text(rng.int(15))} ${rng.next() < 0.3 ? "zzz" : ""} ${text(rng.int(5))}`;
        const expected = naiveMatch(tokenize(p), sets, n);
        expect(index.match(tokenize(p))).toEqual(expected);
        expect(index.matchText(p)).toEqual(expected);
      }
    }
  });

  it("agrees with all-pairs on real LeetCode problems against all five benchmarks", async () => {
    const items: BenchmarkItem[] = [];
    const sources = {
      dirs: [DATASETS],
      cacheDir: path.join(DATASETS, "no-cache"),
      baseUrl: undefined,
      notify: () => {},
    };
    for (const name of DEFAULT_AGAINST) items.push(...(await loadBenchmark(name, sources)).extracted.items);
    const index = NgramIndex.build(items, 10, tokenize);
    const sets = itemGramSets(index, tokenize);
    const lines = readFileSync(path.join(DATASETS, "leetcode-uneasy.jsonl"), "utf8")
      .split("\n")
      .slice(0, 150);
    const rng = createRng(3);
    const problems = lines
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { question: string }).question);
    // Some with benchmark text pasted in, whole or in part, so there are real hits to agree on.
    for (let i = 0; i < 50; i++) {
      const item = rng.pick(items).text.split(/\s+/);
      const part = item.slice(0, 1 + rng.int(item.length)).join(" ");
      problems.push(`${rng.pick(problems).slice(0, 300)} ${part}`);
    }
    let hits = 0;
    for (const q of problems) {
      const expected = naiveMatch(tokenize(q), sets, 10);
      expect(index.matchText(q)).toEqual(expected);
      hits += expected.hits.length;
    }
    expect(hits).toBeGreaterThan(50);
  });
});

describe("shared run", () => {
  it("is the longest stretch of the problem covered by shared grams", () => {
    const b = tokenize(`${B19} ${words("z", 1, 5)}`);
    const p = tokenize(`intro ${words("w", 3, 15)} break ${words("w", 1, 11)} end`);
    const run = sharedRun(p, b, 10);
    expect(run.text).toBe(tokenize(words("w", 3, 15)).join(" "));
    expect(run.words).toBe(13);
    expect(sharedRun(tokenize("nothing in common"), b, 10)).toEqual({ text: "", words: 0 });
  });
});

describe("benchmark texts", () => {
  it("takes HumanEval's docstrings, not code or module constants", () => {
    const prompt =
      'FIX = """\nAdd more test cases.\n"""\n\ndef helper(s: str) -> bool:\n    """ Test if given string is a palindrome """\n    return s == s[::-1]\n\n\ndef task(s):\n    \'\'\'Find the shortest palindrome.\n    >>> task(\'cat\')\n    \'catac\'\n    \'\'\'\n';
    expect(BUILTIN.humaneval.textOf({ prompt })).toBe(
      "Test if given string is a palindrome\nFind the shortest palindrome.\n    >>> task('cat')\n    'catac'",
    );
  });
  it("unwraps MBPP+'s quoted prompt", () => {
    expect(BUILTIN["mbpp-plus"].textOf({ prompt: "'''\nWrite a function to add.\n'''" })).toBe(
      "Write a function to add.",
    );
  });
});
