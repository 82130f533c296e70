/**
 * From a model's reply to the program that is run (pure), and a record of what was taken and why.
 *
 * 1. The code: the reply's Python blocks (src/roles/extract-code.ts finds them, as generate does).
 *    With several blocks, when one defines the entry point, all are joined in order (a solution split
 *    over blocks keeps its helpers); otherwise the largest block, an unterminated block, or bare code.
 * 2. With an entry point (HumanEval's and MBPP's function), only what it needs is kept: every import,
 *    and the functions, classes and assignments it reaches by name; example calls, prints, asserts and
 *    `if __name__ == "__main__":` blocks go. A name defined twice keeps its last definition (the
 *    reply's final version; evalplus's sanitizer keeps the first).
 * 3. A reply that is only a function body (a completion) is appended to the prompt, as evalplus reads
 *    `completion`.
 * evalplus/sanitize.py does the same job with tree-sitter (the longest span that parses, then the
 * entry point's dependencies); this one needs no parser and says what it did.
 */
import { extractCode, pythonBlocks } from "../roles/extract-code.js";
import { outline, type Statement } from "./python-outline.js";

export type ExtractedFrom = "fenced" | "fenced-joined" | "unterminated" | "bare" | "completion" | "none";

export interface Extraction {
  from: ExtractedFrom;
  /** Python blocks in the reply. */
  blocks: number;
  /** Top-level names kept, and statements dropped (their first line). */
  kept: string[];
  dropped: string[];
  notes: string[];
}

export interface Sanitized {
  code: string;
  extraction: Extraction;
}

export interface SanitizeOptions {
  /** The function the tests call. */
  entryPoint?: string;
  /** The task's prompt (HumanEval: signature and docstring), for replies that are only a body. */
  prompt?: string;
}

function defines(code: string, name: string): boolean {
  return outline(code).some((s) => (s.kind === "def" || s.kind === "class") && s.defines.includes(name));
}

function firstLine(s: Statement): string {
  return (s.text.split("\n").find((l) => !l.trim().startsWith("@")) ?? s.text).trim().slice(0, 80);
}

/** Keep imports and what the entry point reaches; the last definition of a name wins. */
export function keepNeeded(
  code: string,
  entryPoint: string,
): { code: string; kept: string[]; dropped: string[] } {
  const statements = outline(code);
  const last = new Map<string, number>();
  statements.forEach((s, i) => {
    if (s.kind !== "import" && s.kind !== "other") for (const n of s.defines) last.set(n, i);
  });
  const needed = new Set<number>();
  const queue = [entryPoint];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const at = last.get(name);
    if (at === undefined || needed.has(at)) continue;
    needed.add(at);
    for (const m of (statements[at] as Statement).mentions) queue.push(m);
  }
  const kept: string[] = [];
  const dropped: string[] = [];
  const parts: string[] = [];
  statements.forEach((s, i) => {
    if (s.kind === "import" || needed.has(i)) {
      parts.push(s.text);
      if (s.kind !== "import") kept.push(...s.defines);
    } else {
      dropped.push(firstLine(s));
    }
  });
  return { code: parts.join("\n\n"), kept, dropped };
}

function looksLikeBody(code: string): boolean {
  const first = code.split("\n").find((l) => l.trim() !== "");
  return first !== undefined && (/^\s/.test(first) || !/^(?:def|class|import|from|@)\b/.test(first.trim()));
}

function pickCode(
  reply: string,
  entryPoint: string | undefined,
  prompt: string | undefined,
): { code: string; from: ExtractedFrom; blocks: number; notes: string[] } {
  const blocks = pythonBlocks(reply);
  if (blocks.length > 1 && entryPoint && blocks.some((b) => defines(b, entryPoint))) {
    return {
      code: blocks.join("\n\n"),
      from: "fenced-joined",
      blocks: blocks.length,
      notes: [`joined ${blocks.length} Python blocks`],
    };
  }
  const found = extractCode(reply);
  if ("error" in found) {
    // A bare function body (a completion model's reply) has no def to anchor on.
    const text = reply.replace(/\r\n?/g, "\n").replace(/\s+$/, "");
    const first = text.split("\n").find((l) => l.trim() !== "");
    if (prompt && first !== undefined && /^\s/.test(first))
      return { code: text, from: "bare", blocks: 0, notes: [] };
    return { code: "", from: "none", blocks: blocks.length, notes: [found.error] };
  }
  const notes = blocks.length > 1 ? [`took the largest of ${blocks.length} Python blocks`] : [];
  return { code: found.code, from: found.from, blocks: blocks.length, notes };
}

export function sanitize(reply: string, options: SanitizeOptions = {}): Sanitized {
  const { prompt } = options;
  const picked = pickCode(reply, options.entryPoint, prompt);
  const extraction: Extraction = {
    from: picked.from,
    blocks: picked.blocks,
    kept: [],
    dropped: [],
    notes: picked.notes,
  };
  let code = picked.code;
  if (code === "") return { code, extraction };
  // APPS's call-based tasks (LeetCode's shape): the tests call a method of `Solution`, which the
  // executor binds, so the class is what the code must keep (and an example call after it goes).
  const entryPoint =
    options.entryPoint && !defines(code, options.entryPoint) && defines(code, "Solution")
      ? "Solution"
      : options.entryPoint;
  if (entryPoint && !defines(code, entryPoint)) {
    if (prompt && looksLikeBody(code)) {
      const body = code
        .split("\n")
        .map((l) => (l.trim() === "" || /^\s/.test(l) ? l : `    ${l}`))
        .join("\n");
      code = `${prompt.replace(/\s+$/, "")}\n${body}`;
      extraction.from = "completion";
      extraction.notes.push("the reply is a function body: appended to the prompt");
    } else {
      extraction.notes.push(`no function ${entryPoint} in the reply: kept as it is`);
      return { code, extraction };
    }
  }
  if (entryPoint) {
    const needed = keepNeeded(code, entryPoint);
    extraction.kept = needed.kept;
    extraction.dropped = needed.dropped;
    if (needed.dropped.length > 0) extraction.notes.push(`kept ${entryPoint} and what it uses`);
    code = needed.code;
  }
  return { code, extraction };
}
