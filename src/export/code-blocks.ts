/**
 * Find the solution's code in free text written by a model: the fenced blocks, picked by language and
 * content. Used on the reference data's `solution` text, where the code sits between prose, an
 * "Explanation" and "Example usage" blocks, and sometimes in a fence that is never closed.
 */

export interface FencedBlock {
  /** The info string's first word, lower-cased ("" when none). */
  lang: string;
  code: string;
  /** False when the text ended inside the block. */
  closed: boolean;
}

const OPEN = /^([ \t]*)(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;

/** Every fenced block, in order; an unterminated last fence runs to the end of the text. */
export function findFencedBlocks(text: string): FencedBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: FencedBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const open = OPEN.exec(lines[i]!);
    if (!open) {
      i++;
      continue;
    }
    const indent = open[1]!.length;
    const fence = open[2]!;
    const lang = open[3]!.toLowerCase();
    const body: string[] = [];
    let closed = false;
    i++;
    for (; i < lines.length; i++) {
      const line = lines[i]!;
      const trimmed = line.trim();
      if (/^(?:`{3,}|~{3,})$/.test(trimmed) && trimmed[0] === fence[0] && trimmed.length >= fence.length) {
        closed = true;
        i++;
        break;
      }
      // A fence indented inside a list item indents its body too: take that indentation off.
      body.push(stripIndent(line, indent));
    }
    blocks.push({ lang, code: trimBlankLines(body.join("\n")), closed });
  }
  return blocks;
}

function stripIndent(line: string, indent: number): string {
  let n = 0;
  while (n < indent && n < line.length && (line[n] === " " || line[n] === "\t")) n++;
  return line.slice(n);
}

/** Drop blank lines at both ends and trailing spaces at the end, keeping the first line's indentation. */
export function trimBlankLines(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();
}

const PYTHON_LANGS = new Set(["python", "py", "python3"]);
const DEFINES = /^[ \t]*(?:def|class|async def)\s/m;

/**
 * The main Python code of a reply: the first Python (or unlabelled) block that defines a function or
 * class, else the first non-empty block labelled Python; null when there is none. Usage examples after
 * the solution, sample outputs in bare fences and blocks in other languages are thereby skipped.
 */
export function extractMainCode(text: string): string | null {
  const blocks = findFencedBlocks(text).filter((b) => b.code.trim() !== "");
  const defining = blocks.find((b) => (b.lang === "" || PYTHON_LANGS.has(b.lang)) && DEFINES.test(b.code));
  const chosen = defining ?? blocks.find((b) => PYTHON_LANGS.has(b.lang));
  return chosen ? chosen.code : null;
}

/** Markdown fence for `code`, longer than any backtick run inside it so the block cannot end early. */
export function fenceCode(code: string, lang = "python"): string {
  let longest = 0;
  for (const m of code.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${trimBlankLines(code)}\n${fence}`;
}
