/**
 * The raw text of chosen top-level fields of a JSON object, found by scanning, never parsed (pure).
 * Test inputs hold integers beyond 2^53, NaN and Infinity (Python's json writes them), which a
 * JavaScript number would change; the executor hands this text to Python untouched.
 */

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i] as string)) i++;
  return i;
}

function skipString(text: string, i: number): number {
  // text[i] is the opening quote.
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  throw new Error("unterminated string");
}

/** The end (exclusive) of the JSON value starting at i. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === "{" || c === "[") {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = skipString(text, j) - 1;
      else if (d === "{" || d === "[") depth++;
      else if (d === "}" || d === "]") {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    throw new Error("unterminated value");
  }
  let j = i;
  while (j < text.length && !/[,}\]\s]/.test(text[j] as string)) j++;
  if (j === i) throw new Error(`unexpected character at ${i}`);
  return j;
}

/** field -> raw JSON text, for the wanted fields present at the top level of `text` (an object). */
export function rawFields(text: string, wanted: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  let i = skipSpace(text, 0);
  if (text[i] !== "{") throw new Error("not a JSON object");
  i = skipSpace(text, i + 1);
  if (text[i] === "}") return found;
  for (;;) {
    if (text[i] !== '"') throw new Error(`expected a field name at ${i}`);
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text[i] !== ":") throw new Error(`expected ":" at ${i}`);
    i = skipSpace(text, i + 1);
    const end = skipValue(text, i);
    if (wanted.includes(key)) found.set(key, text.slice(i, end));
    i = skipSpace(text, end);
    if (text[i] === ",") {
      i = skipSpace(text, i + 1);
      continue;
    }
    if (text[i] === "}") return found;
    throw new Error(`expected "," or "}" at ${i}`);
  }
}

/** The number of elements of a raw JSON array (a list of test inputs). */
export function rawArrayLength(text: string): number {
  let i = skipSpace(text, 0);
  if (text[i] !== "[") throw new Error("not a JSON array");
  i = skipSpace(text, i + 1);
  if (text[i] === "]") return 0;
  let n = 0;
  for (;;) {
    i = skipSpace(text, skipValue(text, i));
    n++;
    if (text[i] === ",") {
      i = skipSpace(text, i + 1);
      continue;
    }
    if (text[i] === "]") return n;
    throw new Error(`expected "," or "]" at ${i}`);
  }
}
