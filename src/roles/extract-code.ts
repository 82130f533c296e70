/**
 * Find the Python code in an implementer's reply.
 *
 * 1. fenced: a closed ``` block tagged python/py/python3/py3 or untagged (other languages, e.g.
 *    ```text or ```bash with example runs, are skipped); the largest wins when there are several,
 *    because the solution is the big block and the small ones are usage examples.
 * 2. unterminated: an opening python/untagged fence with no closing fence (the reply hit max tokens,
 *    or the model forgot): everything after it.
 * 3. bare: no usable fence at all; the reply is taken as code from its first def/class/import line
 *    (with the comments and constants just above it), up to the first line of prose after it. A reply
 *    without a def, class or import line is not code.
 *
 * Blocks are dedented (a fence inside a list item is indented) and trailing blank lines dropped.
 */
import { stripThinking, unixLines } from "./text.js";

export type CodeSource = "fenced" | "unterminated" | "bare";
export type CodeExtraction = { code: string; from: CodeSource } | { error: string };

const PYTHON_TAGS = new Set(["", "python", "py", "python3", "py3"]);
const OPEN_FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const ANCHOR = /^(?:def\s+\w|class\s+\w|import\s+\w|from\s+[\w.]+\s+import\b|async\s+def\s+\w)/;
const KEYWORD =
  /^(?:def|class|import|from|return|if|elif|else|for|while|try|except|finally|with|raise|assert|pass|break|continue|lambda|async|await|global|nonlocal|yield|print|del)\b/;
const ASSIGNMENT =
  /^[A-Za-z_][\w.]*(?:\[[^\]]*\])?(?:\s*,\s*[A-Za-z_][\w.]*)*\s*(?:[-+*/%&|^@]|\/\/|\*\*|>>|<<)?=(?!=)/;
const CALL = /^[A-Za-z_][\w.]*\(.*\)\s*$/;

function dedent(lines: string[]): string[] {
  const indents = lines
    .filter((l) => l.trim() !== "")
    .map((l) => (/^[ \t]*/.exec(l) as RegExpExecArray)[0].length);
  const cut = indents.length === 0 ? 0 : Math.min(...indents);
  return lines.map((l) => l.slice(Math.min(cut, (/^[ \t]*/.exec(l) as RegExpExecArray)[0].length)));
}

function tidy(lines: string[]): string {
  return dedent(lines)
    .map((l) => l.replace(/\s+$/, ""))
    .join("\n")
    .replace(/^\n+/, "")
    .replace(/\n+$/, "");
}

function hasStatement(code: string): boolean {
  return code.split("\n").some((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}

interface Block {
  python: boolean;
  closed: boolean;
  lines: string[];
}

function scanFences(lines: string[]): { blocks: Block[]; outside: string[] } {
  const blocks: Block[] = [];
  const outside: string[] = [];
  let open: { fence: string; block: Block } | undefined;
  for (const line of lines) {
    if (open) {
      const t = line.trim();
      if (
        t.startsWith(open.fence[0] as string) &&
        /^(`{3,}|~{3,})$/.test(t) &&
        t.length >= open.fence.length
      ) {
        open.block.closed = true;
        open = undefined;
      } else if (open.fence.startsWith("`") && t.endsWith(open.fence) && t.length > open.fence.length) {
        // "    return x```": the closing fence glued to the last code line.
        open.block.lines.push(line.slice(0, line.lastIndexOf(open.fence)));
        open.block.closed = true;
        open = undefined;
      } else {
        open.block.lines.push(line);
      }
      continue;
    }
    const m = OPEN_FENCE.exec(line);
    if (m) {
      const block: Block = { python: PYTHON_TAGS.has((m[3] ?? "").toLowerCase()), closed: false, lines: [] };
      blocks.push(block);
      open = { fence: m[2] as string, block };
    } else {
      outside.push(line);
    }
  }
  return { blocks, outside };
}

function looksLikeCode(line: string): boolean {
  if (line.trim() === "") return true;
  if (/^[ \t]/.test(line)) return true;
  const t = line.trim();
  return (
    KEYWORD.test(t) ||
    t.startsWith("#") ||
    /^@\w/.test(t) ||
    ASSIGNMENT.test(t) ||
    CALL.test(t) ||
    /^[)\]}]/.test(t) ||
    /^("""|''')/.test(t)
  );
}

function bareCode(lines: string[]): string | undefined {
  const anchor = lines.findIndex((l) => ANCHOR.test(l.trim()) && !/^[ \t]/.test(l));
  if (anchor < 0) return undefined;
  let start = anchor;
  // Take the comments and constants just above the first def/import ("MOD = 10**9 + 7").
  while (start > 0) {
    const prev = lines[start - 1] as string;
    const t = prev.trim();
    if (t === "" || !(t.startsWith("#") || ASSIGNMENT.test(t) || /^@\w/.test(t))) break;
    start--;
  }
  let end = anchor + 1;
  while (end < lines.length && looksLikeCode(lines[end] as string)) end++;
  const code = tidy(lines.slice(start, end));
  return hasStatement(code) ? code : undefined;
}

/** Every closed Python (or untagged) block of a reply, tidied, in order: for callers that combine them. */
export function pythonBlocks(text: string): string[] {
  const { blocks } = scanFences(unixLines(stripThinking(text)).split("\n"));
  return blocks
    .filter((b) => b.python && b.closed)
    .map((b) => tidy(b.lines))
    .filter(hasStatement);
}

export function extractCode(text: string): CodeExtraction {
  const lines = unixLines(stripThinking(text)).split("\n");
  const { blocks, outside } = scanFences(lines);
  const python = blocks.filter((b) => b.python);

  const closed = python
    .filter((b) => b.closed)
    .map((b) => tidy(b.lines))
    .filter(hasStatement);
  if (closed.length > 0) {
    // The largest block; on equal sizes the first (stable reduce).
    const code = closed.reduce((best, c) => (c.length > best.length ? c : best));
    return { code, from: "fenced" };
  }
  const unterminated = python.find((b) => !b.closed);
  if (unterminated) {
    const code = tidy(unterminated.lines);
    if (hasStatement(code)) return { code, from: "unterminated" };
  }
  if (python.length === 0) {
    const code = bareCode(outside);
    if (code !== undefined) return { code, from: "bare" };
  }
  if (blocks.length > 0 && python.length === 0) {
    return { error: "the reply has code blocks, but none in Python" };
  }
  return { error: text.trim() === "" ? "empty reply" : "no Python code in the reply" };
}
