/**
 * Example inputs taken from a problem statement, for self-consistency without tests: the codes of
 * its N plans are run on them and grouped by what they print or return (src/search/self-consistency.ts;
 * the ExampleRunner that runs them is an edge over the executor). Only the inputs are taken, never the
 * expected outputs: self-consistency asks which programs agree, not which are right.
 *
 * Two forms, tried in order:
 * - calls of the entry function written in the statement (HumanEval's docstrings): doctest lines
 *   (`>>> f(1, 2)`), and a call at the start of a line followed by its result (`f(1) == 2`,
 *   `f(1) ➞ 2`, `f(1) => 2`, `f(1) = 2`, `f(1) # => 2`, after an optional `assert`, `for` or
 *   `print(`), and LeetCode-style `Input: a = 1, b = [2]` lines, which become `f(a = 1, b = [2])`.
 *   The entry function is `fnName` when given, else the functions the statement defines (`def f(`).
 * - stdin texts (APPS, Codeforces): the block under a line `Input` or `Sample Input [n]` up to the next
 *   `Output` / `Sample Output [n]` line. APPS's `-----Input-----` section headers describe the format and
 *   are not examples.
 * Pure: text in, inputs out (duplicates dropped, order kept).
 */

export type ExampleInputs =
  | { kind: "calls"; fnName: string; calls: string[] }
  | { kind: "stdin"; inputs: string[] };

/** The longest call text taken (a pasted huge input would only slow every plan's run). */
const MAX_INPUT_CHARS = 2000;

/** `text` from `start` (an opening parenthesis) to its matching close, or null. Quotes are respected. */
function balancedCall(text: string, start: number): string | null {
  let depth = 0;
  let quote: string | null = null;
  for (let i = start; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    } else if (ch === "\n" && depth > 0 && text[i + 1] === "\n") return null;
  }
  return null;
}

const RESULT_MARK = /^\s*\)?\s*(?:==|➞|=>|->|=(?!=)|#)/;

function callsOf(question: string, names: readonly string[]): string[] {
  const calls: string[] = [];
  const lines = question.split(/\r?\n/);
  for (const line of lines) {
    const doctest = /^\s*>>>\s*(.*)$/.exec(line);
    for (const name of names) {
      const m = new RegExp(`^\\s*(?:>>>\\s*|assert\\s+|for\\s+|print\\()?(${name})\\s*\\(`).exec(line);
      if (!m) continue;
      const open = line.indexOf("(", m.index + m[0].length - 1);
      const call = balancedCall(line, open);
      if (call === null) continue;
      const rest = line.slice(open + call.length);
      // A doctest line is a call by itself; elsewhere the call must be followed by its result.
      if (doctest || RESULT_MARK.test(rest)) calls.push(`${name}${call}`);
    }
    const input = /^\s*Input\s*:\s*(.+?)\s*$/.exec(line);
    if (input && names.length > 0 && /^\w+\s*=/.test(input[1] as string)) {
      calls.push(`${names[0]}(${input[1]})`);
    }
  }
  return calls;
}

function stdinBlocks(question: string): string[] {
  const lines = question.split(/\r?\n/);
  const inputs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*(?:Sample\s+)?Input(?:\s+\d+)?\s*:?\s*$/i.test(lines[i] as string)) continue;
    const block: string[] = [];
    let j = i + 1;
    for (
      ;
      j < lines.length && !/^\s*(?:Sample\s+)?Output(?:\s+\d+)?\s*:?\s*$/i.test(lines[j] as string);
      j++
    ) {
      block.push(lines[j] as string);
    }
    if (j >= lines.length) break; // no Output line: not an example
    const text = block.join("\n").replace(/^\n+|\s+$/g, "");
    if (text !== "") inputs.push(`${text}\n`);
    i = j;
  }
  return inputs;
}

const unique = (xs: string[]) => [...new Set(xs)].filter((x) => x.length <= MAX_INPUT_CHARS);

/** The statement's example inputs, or null when it has none that can be run. */
export function extractExampleInputs(
  question: string,
  options: { fnName?: string } = {},
): ExampleInputs | null {
  const defined = [...question.matchAll(/^\s*def\s+([A-Za-z_]\w*)\s*\(/gm)].map((m) => m[1] as string);
  // The last function a statement defines is its entry point (HumanEval defines helpers first).
  const names = options.fnName ? [options.fnName] : [...new Set(defined)].reverse();
  if (names.length > 0) {
    const calls = unique(callsOf(question, names));
    const fnName = names[0] as string;
    if (calls.length > 0) return { kind: "calls", fnName, calls };
  }
  const inputs = unique(stdinBlocks(question));
  return inputs.length > 0 ? { kind: "stdin", inputs } : null;
}
