import { type ParseResult, parseJson } from "./parse-json.js";

/**
 * JSON as Python's json module writes it: EvalPlus files hold bare `NaN`, `Infinity` and `-Infinity` in
 * their test inputs, which JSON.parse rejects. Those become null (they are never in the text we compare);
 * strings are left alone. Plain JSON takes the fast path.
 */
export function parsePythonJson(text: string): ParseResult<unknown> {
  const first = parseJson(text);
  if (first.ok || !/NaN|Infinity/.test(text)) return first;
  let out = "";
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    const m = /^(?:-?Infinity|NaN)/.exec(text.slice(i, i + 9));
    if (m) {
      out += `${text.slice(last, i)}null`;
      i += m[0].length - 1;
      last = i + 1;
    }
  }
  return parseJson(out + text.slice(last));
}
