/**
 * The tokeniser behind the n-gram overlap (pure). A text becomes a list of lower-case word tokens:
 *
 * 1. HTML tags (`<p>`, `</code>`, `<br/>`, from a fixed list of tag names) are removed and the common
 *    entities (`&lt;`, `&amp;`, `&nbsp;`, `&#39;`, ...) decoded, so LeetCode dumps whose statement is HTML
 *    compare as plain text;
 * 2. Unicode NFKC normalisation (full-width letters, ligatures), then lower-casing;
 * 3. tokens are maximal runs of letters, digits and combining marks (`[\p{L}\p{N}\p{M}]+`), except that
 *    each Han, Hiragana or Katakana character is a token on its own (those scripts do not put spaces
 *    between words). Everything else (punctuation, `_`, markdown, whitespace) only separates tokens.
 *
 * So `has_close_elements([1.0, 2.8])` is `has close elements 1 0 2 8`, and "Don't" is `don t`.
 */

const HTML_TAGS =
  "a|abbr|b|blockquote|br|code|dd|del|div|dl|dt|em|font|h[1-6]|hr|i|img|kbd|li|ol|p|pre|s|samp|small|span|strike|strong|sub|sup|table|tbody|td|th|thead|tr|tt|u|ul|var";
const HTML_TAG = new RegExp(`</?(?:${HTML_TAGS})(?:\\s[^<>]*)?/?>`, "gi");
const HTML_ENTITY = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]{2,8}));/gi;
const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  le: "≤",
  ge: "≥",
  ne: "≠",
  times: "×",
  minus: "−",
  hellip: "…",
  ndash: "–",
  mdash: "—",
};

// One CJK character, or a run of word characters that are not CJK (the `v` flag allows set subtraction).
// biome-ignore lint/complexity/useRegexLiterals: TypeScript's ES2022 target rejects a `v`-flag literal; Node 20 runs it.
const TOKEN = new RegExp(
  String.raw`[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]|[[\p{L}\p{N}\p{M}]--[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]]+`,
  "gv",
);

function decodeEntity(match: string, dec?: string, hex?: string, name?: string): string {
  if (dec !== undefined || hex !== undefined) {
    const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? "", 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : " ";
  }
  return NAMED_ENTITIES[(name ?? "").toLowerCase()] ?? match;
}

/** Could the text hold a tag? A "<" followed by a letter or "/" (most "<" in statements are "<="). */
function mayHoldTag(s: string): boolean {
  for (let i = s.indexOf("<"); i >= 0; i = s.indexOf("<", i + 1)) {
    const c = s.charCodeAt(i + 1) | 0x20;
    if ((c >= 0x61 && c <= 0x7a) || c === 0x2f) return true;
  }
  return false;
}

/** Step 1 and 2 of the tokeniser: markup removed, NFKC, lower case. */
export function normalizeText(text: string): string {
  let s = text;
  if (mayHoldTag(s)) s = s.replace(HTML_TAG, " ");
  if (s.includes("&")) s = s.replace(HTML_ENTITY, decodeEntity);
  return s.normalize("NFKC").toLowerCase();
}

/** The word tokens of a text, in order. This is the definition; `scanTokenSpans` is its fast twin. */
export function tokenize(text: string): string[] {
  return normalizeText(text).match(TOKEN) ?? [];
}

const SEPARATOR = 0;
const WORD = 1;
const SINGLE = 2;
const CJK_CHAR = /^[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]$/u;
const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;
const classCache = new Map<number, number>();

function classifyCodePoint(cp: number): number {
  let c = classCache.get(cp);
  if (c === undefined) {
    const ch = String.fromCodePoint(cp);
    c = CJK_CHAR.test(ch) ? SINGLE : WORD_CHAR.test(ch) ? WORD : SEPARATOR;
    classCache.set(cp, c);
  }
  return c;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** murmur3's finaliser: spreads the bits so the low ones index a hash table well. */
export function fmix32(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** The hash of a token s[start, end): FNV-1a over its UTF-16 units, then fmix32. */
export function hashChars(s: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return fmix32(h);
}

/** Token positions and hashes, filled by `scanTokenSpans`; each array needs room for s.length tokens. */
export interface TokenSpans {
  start: Int32Array;
  end: Int32Array;
  hash: Int32Array;
}

/**
 * The tokens of an already normalised text, as [start, end) offsets with their `hashChars`, in one pass
 * and without a string per token (the index looks them up in place). Gives exactly the tokens of
 * `normalizedText.match(TOKEN)`, which the tests check on random Unicode text. Returns the count.
 */
export function scanTokenSpans(s: string, spans: TokenSpans): number {
  const { start: starts, end: ends, hash: hashes } = spans;
  const len = s.length;
  let n = 0;
  let begin = -1;
  let h = FNV_OFFSET;
  for (let i = 0; i < len; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      // ASCII, nearly every character: a letter or digit extends the token, anything else ends it.
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a)) {
        if (begin < 0) {
          begin = i;
          h = FNV_OFFSET;
        }
        h = Math.imul(h ^ c, FNV_PRIME);
      } else if (begin >= 0) {
        starts[n] = begin;
        ends[n] = i;
        hashes[n++] = fmix32(h);
        begin = -1;
      }
      i++;
      continue;
    }
    const cp = s.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const kind = classifyCodePoint(cp);
    if (kind === WORD) {
      if (begin < 0) {
        begin = i;
        h = FNV_OFFSET;
      }
      h = Math.imul(h ^ c, FNV_PRIME);
      if (width === 2) h = Math.imul(h ^ s.charCodeAt(i + 1), FNV_PRIME);
    } else {
      if (begin >= 0) {
        starts[n] = begin;
        ends[n] = i;
        hashes[n++] = fmix32(h);
        begin = -1;
      }
      if (kind === SINGLE) {
        let single = Math.imul(FNV_OFFSET ^ c, FNV_PRIME);
        if (width === 2) single = Math.imul(single ^ s.charCodeAt(i + 1), FNV_PRIME);
        starts[n] = i;
        ends[n] = i + width;
        hashes[n++] = fmix32(single);
      }
    }
    i += width;
  }
  if (begin >= 0) {
    starts[n] = begin;
    ends[n] = len;
    hashes[n++] = fmix32(h);
  }
  return n;
}
