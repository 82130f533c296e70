/**
 * The n-gram index (pure): every distinct n-gram of every benchmark item, hashed once, with the list of
 * items that contain it. A problem is matched by hashing each of its grams once and looking it up, so
 * the cost is linear in the problem's length and does not grow with the number of benchmark items
 * (only with how many items share a gram). Hashes only find candidates: every hit is checked token by
 * token, so a hash collision can cost a comparison but never change an answer.
 *
 * Grams are over token ids. The vocabulary is the benchmarks' own; a problem token outside it gets a
 * negative id that is local to that problem, so grams holding one still count towards |G(p)| (exactly:
 * they are deduplicated by comparing ids) but are never looked up. Memory is bounded by the benchmarks
 * plus the longest problem seen, never by the number of problems.
 */

import { fmix32, hashChars, normalizeText, scanTokenSpans, type TokenSpans } from "./tokenize.js";

/** One benchmark text to guard against. */
export interface BenchmarkItem {
  /** The benchmark's name (e.g. "humaneval", or the file spec of a user file). */
  benchmark: string;
  /** The item's id in its benchmark (e.g. "HumanEval/0", "Mbpp/2", "11"). */
  id: string;
  /** The text whose n-grams are compared (a docstring, MBPP's `text`, ...). */
  text: string;
}

/** How many distinct grams a problem shares with one item. */
export interface IndexHit {
  /** Index into the index's items. */
  item: number;
  /** |G(p) ∩ G(b)|. */
  shared: number;
}

export interface IndexMatch {
  /** |G(p)|: distinct grams of the problem. */
  grams: number;
  /** Items sharing at least one gram, by item index. */
  hits: IndexHit[];
}

/**
 * The windows a gram set is made of: `n`-token windows, or for a text of k < n tokens (k > 0) the single
 * window of all k tokens; none for an empty text.
 */
export function gramWindows(tokenCount: number, n: number): { length: number; count: number } {
  if (tokenCount === 0) return { length: 0, count: 0 };
  const length = Math.min(n, tokenCount);
  return { length, count: tokenCount - length + 1 };
}

/** The polynomial base of window hashes (odd, so multiplying by it loses no bits mod 2^32). */
const BASE = 0x9e3779b1;

/** BASE^k mod 2^32. */
function basePower(k: number): number {
  let p = 1;
  for (let i = 0; i < k; i++) p = Math.imul(p, BASE);
  return p;
}

/**
 * The raw hash of a window: sum of ids[start + k] * BASE^(length - 1 - k) mod 2^32. It can be rolled
 * one token on in O(1) (`matchIds` does), and goes through fmix32 before it indexes a table.
 */
function polyWindow(ids: Int32Array, start: number, length: number): number {
  let h = 0;
  for (let k = start, end = start + length; k < end; k++) h = (Math.imul(h, BASE) + ids[k]!) | 0;
  return h;
}

function hashWindow(ids: Int32Array, start: number, length: number): number {
  return fmix32(polyWindow(ids, start, length) ^ length);
}

function sameChars(s: string, aStart: number, bStart: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (s.charCodeAt(aStart + k) !== s.charCodeAt(bStart + k)) return false;
  return true;
}

function sameWindow(a: Int32Array, aStart: number, b: Int32Array, bStart: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (a[aStart + k] !== b[bStart + k]) return false;
  return true;
}

function nextPowerOfTwo(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/** A growable Int32Array. */
class IntList {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Word -> id (1..size) as an open-addressing table keyed by a hash of the characters, so a token is
 * looked up in place, as offsets into the text, without making a string for it.
 */
class Vocabulary {
  // Word i's UTF-16 units are chars[charStart[i] .. charStart[i + 1]): one flat array, cache-friendly.
  private readonly chars: Uint16Array;
  private readonly charStart: Int32Array;
  private readonly slots: Int32Array;
  private readonly hashes: Int32Array;
  private readonly mask: number;

  /** `words[i]` gets id i + 1. */
  constructor(words: readonly string[]) {
    this.charStart = new Int32Array(words.length + 1);
    let total = 0;
    words.forEach((w, i) => {
      total += w.length;
      this.charStart[i + 1] = total;
    });
    this.chars = new Uint16Array(total);
    const size = nextPowerOfTwo(words.length * 2);
    this.mask = size - 1;
    this.slots = new Int32Array(size);
    this.hashes = new Int32Array(size);
    words.forEach((w, i) => {
      for (let k = 0; k < w.length; k++) this.chars[this.charStart[i]! + k] = w.charCodeAt(k);
      const h = hashChars(w, 0, w.length);
      let slot = h & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = i + 1;
      this.hashes[slot] = h;
    });
  }

  /** The id of s[start, end) (whose hashChars is h), or 0. */
  find(s: string, start: number, end: number, h: number): number {
    const length = end - start;
    let slot = h & this.mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === 0) return 0;
      if (this.hashes[slot] === h) {
        const from = this.charStart[id - 1]!;
        if (this.charStart[id]! - from === length) {
          let k = 0;
          while (k < length && this.chars[from + k] === s.charCodeAt(start + k)) k++;
          if (k === length) return id;
        }
      }
      slot = (slot + 1) & this.mask;
    }
  }
}

export class NgramIndex {
  readonly n: number;
  readonly items: readonly BenchmarkItem[];
  /** |G(b)| of each item. */
  readonly itemGrams: Int32Array;
  /** Token count of each item. */
  readonly itemTokens: Int32Array;
  /** Distinct grams over all items. */
  readonly gramCount: number;

  private readonly vocab: Vocabulary;
  // Gram g's tokens are pool[gramStart[g] .. gramStart[g] + gramLength[g]).
  private readonly pool: Int32Array;
  private readonly gramStart: Int32Array;
  private readonly gramLength: Int32Array;
  // Open addressing: slot -> gram id + 1 (0 = empty), and the slot's hash to skip most comparisons.
  private readonly table: Int32Array;
  private readonly tableHash: Int32Array;
  private readonly mask: number;
  // Postings in CSR form: the items holding gram g are postItems[postStart[g] .. postStart[g + 1]).
  private readonly postStart: Int32Array;
  private readonly postItems: Int32Array;

  // Scratch for match(), reused between calls (grows to the longest problem).
  private ids = new Int32Array(256);
  private oovPrefix = new Int32Array(257);
  private readonly oov = new Map<string, number>();
  // A problem's own words (not in the vocabulary), by hash and first [start, end): the ids they get.
  private oovStamp = new Int32Array(512);
  private oovHash = new Int32Array(512);
  private oovStart = new Int32Array(512);
  private oovEnd = new Int32Array(512);
  private oovIds = new Int32Array(512);
  private spans: TokenSpans = {
    start: new Int32Array(256),
    end: new Int32Array(256),
    hash: new Int32Array(256),
  };
  private seenStamp = new Int32Array(512);
  private seenPos = new Int32Array(512);
  private seenHash = new Int32Array(512);
  private readonly itemStamp: Int32Array;
  private readonly itemCount: Int32Array;
  private readonly touched: Int32Array;
  private stamp = 0;

  private constructor(
    n: number,
    items: readonly BenchmarkItem[],
    parts: {
      vocab: Vocabulary;
      pool: Int32Array;
      gramStart: Int32Array;
      gramLength: Int32Array;
      table: Int32Array;
      tableHash: Int32Array;
      postStart: Int32Array;
      postItems: Int32Array;
      itemGrams: Int32Array;
      itemTokens: Int32Array;
    },
  ) {
    this.n = n;
    this.items = items;
    this.vocab = parts.vocab;
    this.pool = parts.pool;
    this.gramStart = parts.gramStart;
    this.gramLength = parts.gramLength;
    this.table = parts.table;
    this.tableHash = parts.tableHash;
    this.mask = parts.table.length - 1;
    this.postStart = parts.postStart;
    this.postItems = parts.postItems;
    this.itemGrams = parts.itemGrams;
    this.itemTokens = parts.itemTokens;
    this.gramCount = parts.gramStart.length;
    this.itemStamp = new Int32Array(items.length);
    this.itemCount = new Int32Array(items.length);
    this.touched = new Int32Array(items.length);
  }

  /** Index the items' n-grams; `tokenize` turns a text into word tokens. */
  static build(
    items: readonly BenchmarkItem[],
    n: number,
    tokenize: (text: string) => readonly string[],
  ): NgramIndex {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer (got ${n})`);
    const vocab = new Map<string, number>();
    const itemIds: Int32Array[] = [];
    let windows = 0;
    for (const item of items) {
      const tokens = tokenize(item.text);
      const ids = new Int32Array(tokens.length);
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i]!;
        let id = vocab.get(t);
        if (id === undefined) {
          id = vocab.size + 1;
          vocab.set(t, id);
        }
        ids[i] = id;
      }
      itemIds.push(ids);
      windows += gramWindows(ids.length, n).count;
    }

    const size = nextPowerOfTwo(windows * 2);
    const mask = size - 1;
    const table = new Int32Array(size);
    const tableHash = new Int32Array(size);
    const pool = new IntList();
    const starts = new IntList();
    const lengths = new IntList();
    // (gram, item) pairs, one per distinct gram of an item; turned into CSR below.
    const pairGram = new IntList();
    const pairItem = new IntList();
    const lastItem = new IntList(); // gram -> last item that counted it (dedupe within an item)
    const itemGrams = new Int32Array(items.length);
    const itemTokens = new Int32Array(items.length);

    for (let it = 0; it < itemIds.length; it++) {
      const ids = itemIds[it]!;
      itemTokens[it] = ids.length;
      const { length, count } = gramWindows(ids.length, n);
      for (let s = 0; s < count; s++) {
        const h = hashWindow(ids, s, length);
        let slot = h & mask;
        let g = -1;
        for (;;) {
          const entry = table[slot]!;
          if (entry === 0) break;
          const cand = entry - 1;
          if (
            tableHash[slot] === h &&
            lengths.data[cand] === length &&
            sameWindow(pool.data, starts.data[cand]!, ids, s, length)
          ) {
            g = cand;
            break;
          }
          slot = (slot + 1) & mask;
        }
        if (g < 0) {
          g = starts.length;
          starts.push(pool.length);
          lengths.push(length);
          for (let k = 0; k < length; k++) pool.push(ids[s + k]!);
          lastItem.push(-1);
          table[slot] = g + 1;
          tableHash[slot] = h;
        }
        if (lastItem.data[g] !== it) {
          lastItem.data[g] = it;
          itemGrams[it]!++;
          pairGram.push(g);
          pairItem.push(it);
        }
      }
    }

    const gramCount = starts.length;
    const postStart = new Int32Array(gramCount + 1);
    for (let p = 0; p < pairGram.length; p++) postStart[pairGram.data[p]! + 1]!++;
    for (let g = 0; g < gramCount; g++) postStart[g + 1]! += postStart[g]!;
    const fill = postStart.slice(0, gramCount);
    const postItems = new Int32Array(pairGram.length);
    // Pairs were made in item order, so each posting list comes out sorted by item.
    for (let p = 0; p < pairGram.length; p++) postItems[fill[pairGram.data[p]!]!++] = pairItem.data[p]!;

    return new NgramIndex(n, items, {
      vocab: new Vocabulary([...vocab.keys()]),
      pool: pool.data.slice(0, pool.length),
      gramStart: starts.data.slice(0, gramCount),
      gramLength: lengths.data.slice(0, gramCount),
      table,
      tableHash,
      postStart,
      postItems,
      itemGrams,
      itemTokens,
    });
  }

  /** The benchmark gram equal to the window, or -1. */
  private lookup(ids: Int32Array, start: number, length: number, h: number): number {
    let slot = h & this.mask;
    for (;;) {
      const entry = this.table[slot]!;
      if (entry === 0) return -1;
      const g = entry - 1;
      if (
        this.tableHash[slot] === h &&
        this.gramLength[g] === length &&
        sameWindow(this.pool, this.gramStart[g]!, ids, start, length)
      ) {
        return g;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  private reserveTokens(tokens: number): void {
    if (this.ids.length < tokens) {
      this.ids = new Int32Array(nextPowerOfTwo(tokens));
      this.oovPrefix = new Int32Array(this.ids.length + 1);
    }
  }

  private nextStamp(): number {
    if (this.stamp === 0x7fffffff) {
      // Once in 2^31 calls: start the stamps again from clean tables.
      this.stamp = 0;
      this.seenStamp.fill(0);
      this.oovStamp.fill(0);
      this.itemStamp.fill(0);
    }
    return ++this.stamp;
  }

  /**
   * |G(p)| and, for every item sharing a gram with the problem, |G(p) ∩ G(b)|; `tokens` from `tokenize`.
   * The plain path over a token array: the reference matchText is tested against.
   */
  match(tokens: readonly string[]): IndexMatch {
    this.reserveTokens(tokens.length);
    const ids = this.ids;
    const oov = this.oov;
    oov.clear();
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      let id = this.vocab.find(t, 0, t.length, hashChars(t, 0, t.length));
      if (id === 0) {
        id = oov.get(t) ?? -(oov.size + 1);
        oov.set(t, id);
      }
      ids[i] = id;
    }
    return this.matchIds(tokens.length, this.nextStamp());
  }

  /**
   * The same as `match(tokenize(text))`, faster: the normalised text is scanned and each token looked up
   * in place, with no string made per token. This is what the command uses.
   */
  matchText(text: string): IndexMatch {
    const s = normalizeText(text);
    // A text of L characters has at most L tokens: reserve for that, and an OOV table twice as big.
    this.reserveTokens(s.length + 1);
    const oovSize = nextPowerOfTwo(s.length * 2 + 2);
    if (this.oovStamp.length < oovSize) {
      this.oovStamp = new Int32Array(oovSize);
      this.oovHash = new Int32Array(oovSize);
      this.oovStart = new Int32Array(oovSize);
      this.oovEnd = new Int32Array(oovSize);
      this.oovIds = new Int32Array(oovSize);
    }
    if (this.spans.start.length < s.length) {
      const size = nextPowerOfTwo(s.length);
      this.spans = { start: new Int32Array(size), end: new Int32Array(size), hash: new Int32Array(size) };
    }
    const count = scanTokenSpans(s, this.spans);
    const stamp = this.nextStamp();
    const oovMask = oovSize - 1;
    const { ids, vocab, oovStamp, oovHash, oovStart, oovEnd, oovIds } = this;
    const { start: starts, end: ends, hash: hashes } = this.spans;
    let oovCount = 0;
    for (let k = 0; k < count; k++) {
      const start = starts[k]!;
      const end = ends[k]!;
      const h = hashes[k]!;
      let id = vocab.find(s, start, end, h);
      if (id === 0) {
        let slot = h & oovMask;
        for (;;) {
          if (oovStamp[slot] !== stamp) {
            id = -++oovCount;
            oovStamp[slot] = stamp;
            oovHash[slot] = h;
            oovStart[slot] = start;
            oovEnd[slot] = end;
            oovIds[slot] = id;
            break;
          }
          if (
            oovHash[slot] === h &&
            oovEnd[slot]! - oovStart[slot]! === end - start &&
            sameChars(s, oovStart[slot]!, start, end - start)
          ) {
            id = oovIds[slot]!;
            break;
          }
          slot = (slot + 1) & oovMask;
        }
      }
      ids[k] = id;
    }
    return this.matchIds(count, stamp);
  }

  /** The matching proper, over this.ids[0, tokenCount). */
  private matchIds(tokenCount: number, stamp: number): IndexMatch {
    const { length, count } = gramWindows(tokenCount, this.n);
    if (count === 0) return { grams: 0, hits: [] };
    const size = nextPowerOfTwo(count * 2);
    if (this.seenStamp.length < size) {
      this.seenStamp = new Int32Array(size);
      this.seenPos = new Int32Array(size);
      this.seenHash = new Int32Array(size);
    }
    const ids = this.ids;
    const oovPrefix = this.oovPrefix;
    for (let i = 0; i < tokenCount; i++) oovPrefix[i + 1] = oovPrefix[i]! + (ids[i]! < 0 ? 1 : 0);

    // The stamp marks this call's entries in the seen table and the item counters (no clearing).
    const seenMask = size - 1;
    const { seenStamp, seenPos, seenHash, itemStamp, itemCount, touched } = this;
    let touchedCount = 0;
    let distinct = 0;
    // Roll the window hash: drop ids[s - 1] (times BASE^(length-1)), shift, add ids[s + length - 1].
    const top = basePower(length - 1);
    let poly = polyWindow(ids, 0, length);
    for (let s = 0; s < count; s++) {
      if (s > 0)
        poly = (Math.imul((poly - Math.imul(ids[s - 1]!, top)) | 0, BASE) + ids[s + length - 1]!) | 0;
      const h = fmix32(poly ^ length);
      let slot = h & seenMask;
      let repeated = false;
      for (;;) {
        if (seenStamp[slot] !== stamp) break;
        if (seenHash[slot] === h && sameWindow(ids, seenPos[slot]!, ids, s, length)) {
          repeated = true;
          break;
        }
        slot = (slot + 1) & seenMask;
      }
      if (repeated) continue;
      seenStamp[slot] = stamp;
      seenPos[slot] = s;
      seenHash[slot] = h;
      distinct++;
      if (oovPrefix[s + length] !== oovPrefix[s]) continue; // holds a word no benchmark has
      const g = this.lookup(ids, s, length, h);
      if (g < 0) continue;
      for (let p = this.postStart[g]!, end = this.postStart[g + 1]!; p < end; p++) {
        const item = this.postItems[p]!;
        if (itemStamp[item] !== stamp) {
          itemStamp[item] = stamp;
          itemCount[item] = 0;
          touched[touchedCount++] = item;
        }
        itemCount[item]!++;
      }
    }
    const order = touched.subarray(0, touchedCount).sort();
    const hits: IndexHit[] = new Array(touchedCount);
    for (let i = 0; i < touchedCount; i++) {
      const item = order[i]!;
      hits[i] = { item, shared: itemCount[item]! };
    }
    return { grams: distinct, hits };
  }
}
