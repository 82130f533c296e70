/**
 * The top-level statements of a Python module, without parsing Python (pure): where each starts and
 * ends, what it defines, and which names it mentions. Enough to keep a function and what it depends
 * on (src/eval/sanitize.ts); strings, comments, brackets, line continuations and decorators are
 * honoured, f-strings count their text as code (over-counting a name only keeps more).
 */

export type StatementKind = "import" | "def" | "class" | "assign" | "other";

export interface Statement {
  kind: StatementKind;
  /** Names it defines (a def's or class's name, assignment targets, imported names). */
  defines: string[];
  /** Every identifier in it. */
  mentions: Set<string>;
  text: string;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const CONTINUES_COMPOUND = /^(?:else|elif|except|finally)\b/;

interface Scan {
  /** For each line: does it start a new logical line at depth 0 (not inside brackets, a string or a continuation)? */
  fresh: boolean[];
  /** Identifiers per line. */
  names: string[][];
}

function scanLines(lines: readonly string[]): Scan {
  const fresh: boolean[] = [];
  const names: string[][] = [];
  let depth = 0;
  let quote: string | null = null; // the open string's delimiter
  let fString = false; // the open string is an f-string
  let pendingF = false; // the word just before a quote was a prefix with "f"
  let continued = false;
  for (const line of lines) {
    fresh.push(depth === 0 && quote === null && !continued);
    const found: string[] = [];
    continued = false;
    for (let i = 0; i < line.length; ) {
      const c = line[i] as string;
      if (quote !== null) {
        if (c === "\\") i += 2;
        else if (line.startsWith(quote, i)) {
          i += quote.length;
          quote = null;
        } else {
          if (fString) {
            IDENT.lastIndex = i;
            const m = IDENT.exec(line);
            if (m) {
              found.push(m[0]);
              i += m[0].length;
              continue;
            }
          }
          i++;
        }
        continue;
      }
      if (c === "#") break;
      if (c === "\\" && i === line.length - 1) {
        continued = true;
        break;
      }
      IDENT.lastIndex = i;
      const m = IDENT.exec(line);
      if (m) {
        const word = m[0];
        const next = line[i + word.length];
        if (word.length <= 3 && /^[rRbBfFuU]+$/.test(word) && (next === '"' || next === "'")) {
          pendingF = /[fF]/.test(word);
          i += word.length;
          continue;
        }
        pendingF = false;
        found.push(word);
        i += word.length;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = line.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
        fString = pendingF;
        pendingF = false;
        i += quote.length;
        continue;
      }
      if ("([{".includes(c)) depth++;
      else if (")]}".includes(c)) depth = Math.max(0, depth - 1);
      pendingF = false;
      i++;
    }
    // A one-quote string never spans lines (without a backslash): recover from a stray quote.
    if (quote !== null && quote.length === 1 && !line.endsWith("\\")) quote = null;
    names.push(found);
  }
  return { fresh, names };
}

function classify(first: string): { kind: StatementKind; defines: string[] } {
  const t = first.trimStart();
  let m = /^(?:async\s+)?def\s+([A-Za-z_]\w*)/.exec(t);
  if (m) return { kind: "def", defines: [m[1] as string] };
  m = /^class\s+([A-Za-z_]\w*)/.exec(t);
  if (m) return { kind: "class", defines: [m[1] as string] };
  if (/^(?:import|from)\s/.test(t)) {
    const imported = /^from\s+\S+\s+import\s+(.*)$/.exec(t)?.[1] ?? t.replace(/^import\s+/, "");
    const defines = imported
      .replace(/[()]/g, "")
      .split(",")
      .map((part) => {
        const bits = part.trim().split(/\s+as\s+/);
        return (bits[1] ?? bits[0] ?? "").split(".")[0] as string;
      })
      .filter((n) => /^[A-Za-z_]\w*$/.test(n));
    return { kind: "import", defines };
  }
  m = /^([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::[^=]+)?=(?!=)/.exec(t);
  if (m) return { kind: "assign", defines: (m[1] as string).split(",").map((n) => n.trim()) };
  return { kind: "other", defines: [] };
}

/** The module's top-level statements, in order. */
export function outline(source: string): Statement[] {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const { fresh, names } = scanLines(lines);
  const starts: number[] = [];
  let decorated = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const t = line.trim();
    if (!fresh[i] || t === "" || t.startsWith("#") || /^\s/.test(line)) continue;
    if (CONTINUES_COMPOUND.test(t) && starts.length > 0) continue;
    if (!decorated) starts.push(i);
    decorated = t.startsWith("@");
  }
  const out: Statement[] = [];
  for (let s = 0; s < starts.length; s++) {
    const from = starts[s] as number;
    let to = (starts[s + 1] ?? lines.length) - 1;
    while (to > from && /^\s*(#.*)?$/.test(lines[to] as string) && !/^\s/.test(lines[to] ?? "")) to--;
    const first = lines.slice(from, to + 1).find((l) => !l.trim().startsWith("@")) ?? "";
    const whole = lines.slice(from, to + 1).join(" ");
    const { kind, defines } = classify(/^(?:import|from)\s/.test(first) ? whole : first);
    const mentions = new Set<string>();
    for (let i = from; i <= to; i++) for (const n of names[i] ?? []) mentions.add(n);
    out.push({
      kind,
      defines,
      mentions,
      text: lines
        .slice(from, to + 1)
        .join("\n")
        .replace(/\s+$/, ""),
    });
  }
  return out;
}
