/**
 * A CompletionRequest's `guidedRegex` as a llama.cpp GBNF grammar, so the in-process engine constrains
 * a reply to the same language vLLM's guided decoding would (the score's `Score: (10|[0-9])` today).
 *
 * The reply must match the whole regex, as with vLLM: `^` at the start and `$` at the end are
 * accepted and change nothing. Supported: literals and escapes (`\d \w \s \D \W \S \n \t \r \f \v`,
 * `\xHH`, `\uHHHH`, an escaped punctuation character), `.` (any character but a newline), character
 * classes with ranges and negation, groups `( )` and `(?: )`, alternation, and the quantifiers
 * `? * + {n} {n,} {n,m}` (a lazy `?` after one is ignored: it changes which match a search finds,
 * not which texts match). Lookarounds, backreferences, word boundaries and anchors inside the
 * pattern have no grammar equivalent and are refused with the position. Pure.
 */

export class RegexToGbnfError extends Error {}

/** The escape classes, as the characters of a GBNF character class. */
const CLASS_ESCAPES: Record<string, { body: string; negated: boolean }> = {
  d: { body: "0-9", negated: false },
  D: { body: "0-9", negated: true },
  w: { body: "a-zA-Z0-9_", negated: false },
  W: { body: "a-zA-Z0-9_", negated: true },
  s: { body: " \\t\\n\\r\\x0b\\x0c", negated: false },
  S: { body: " \\t\\n\\r\\x0b\\x0c", negated: true },
};

const CONTROL_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", f: "\f", v: "\v", "0": "\0" };

/** One character written for a GBNF string ("...") or class ([...]); `special` are escaped too. */
function gbnfChar(ch: string, special: string): string {
  if (ch === "\n") return "\\n";
  if (ch === "\t") return "\\t";
  if (ch === "\r") return "\\r";
  if (ch === "\\" || special.includes(ch)) return `\\${ch}`;
  const code = ch.codePointAt(0) as number;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, "0")}`;
  return ch;
}

class Translator {
  private pos = 0;
  constructor(private readonly src: string) {}

  translate(): string {
    if (this.src.startsWith("^")) this.pos = 1;
    const expr = this.alternation();
    if (this.pos < this.src.length) this.fail(`unexpected "${this.src[this.pos]}"`);
    return `root ::= ${expr === "" ? '""' : expr}`;
  }

  private fail(what: string): never {
    throw new RegexToGbnfError(`guided regex ${JSON.stringify(this.src)} at ${this.pos}: ${what}`);
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private alternation(): string {
    const branches = [this.sequence()];
    while (this.peek() === "|") {
      this.pos++;
      branches.push(this.sequence());
    }
    return branches.length === 1 ? (branches[0] as string) : branches.map((b) => b || '""').join(" | ");
  }

  private sequence(): string {
    const items: string[] = [];
    let literalRun = false; // the last item is a string literal that more characters may join
    for (let ch = this.peek(); ch !== undefined && ch !== "|" && ch !== ")"; ch = this.peek()) {
      if (ch === "$" && this.pos === this.src.length - 1) {
        this.pos++;
        break;
      }
      const atom = this.atom();
      const q = this.quantifier();
      const literal = atom.startsWith('"') && q === "";
      if (literal && literalRun) items.push(`${(items.pop() as string).slice(0, -1)}${atom.slice(1)}`);
      else items.push(atom + q);
      literalRun = literal;
    }
    return items.join(" ");
  }

  private atom(): string {
    const ch = this.src[this.pos++] as string;
    if (ch === "(") {
      if (this.peek() === "?") {
        if (this.src[this.pos + 1] !== ":")
          this.fail("lookarounds and named groups have no grammar equivalent");
        this.pos += 2;
      }
      const inner = this.alternation();
      if (this.peek() !== ")") this.fail('missing ")"');
      this.pos++;
      return `(${inner || '""'})`;
    }
    if (ch === "[") return this.charClass();
    if (ch === ".") return "[^\\n]";
    if (ch === "\\") return this.escape(false);
    if ("^$".includes(ch)) this.fail(`"${ch}" is only accepted at the start or end`);
    if ("*+?{".includes(ch)) this.fail(`nothing to repeat before "${ch}"`);
    return `"${gbnfChar(ch, '"')}"`;
  }

  /** After a backslash: a class (\d), a control (\n), a code (\x41, \u00e9) or a literal character. */
  private escape(inClass: boolean): string {
    const ch = this.src[this.pos++];
    if (ch === undefined) this.fail("a lone backslash at the end");
    const cls = CLASS_ESCAPES[ch];
    if (cls) {
      if (inClass && cls.negated) this.fail(`\\${ch} inside a character class is not supported`);
      return inClass ? cls.body : `[${cls.negated ? "^" : ""}${cls.body}]`;
    }
    let literal = CONTROL_ESCAPES[ch];
    if (literal === undefined && (ch === "x" || ch === "u")) {
      const digits = this.src.slice(this.pos, this.pos + (ch === "x" ? 2 : 4));
      if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== (ch === "x" ? 2 : 4))
        this.fail(`bad \\${ch} escape`);
      this.pos += digits.length;
      literal = String.fromCodePoint(Number.parseInt(digits, 16));
    }
    if (literal === undefined) {
      if (/[0-9bBkpP]/.test(ch)) this.fail(`\\${ch} (backreference, boundary or property) is not supported`);
      literal = ch;
    }
    return inClass ? gbnfChar(literal, "]-^[") : `"${gbnfChar(literal, '"')}"`;
  }

  private charClass(): string {
    let body = "";
    if (this.peek() === "^") {
      body = "^";
      this.pos++;
    }
    let first = true;
    for (;;) {
      const ch = this.src[this.pos++];
      if (ch === undefined) this.fail('missing "]"');
      if (ch === "]" && !first) break;
      first = false;
      if (ch === "\\") body += this.escape(true);
      else if (ch === "-" && body !== "" && body !== "^" && this.peek() !== "]") body += "-";
      else body += gbnfChar(ch, "]-^[");
    }
    return `[${body}]`;
  }

  private quantifier(): string {
    const ch = this.peek();
    let q = "";
    if (ch === "?" || ch === "*" || ch === "+") {
      this.pos++;
      q = ch;
    } else if (ch === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m) this.fail('a "{" that is not a {n}, {n,} or {n,m} repetition');
      this.pos += m[0].length;
      if (m[3] !== undefined && m[3] !== "" && Number(m[3]) < Number(m[1])) this.fail("{n,m} with m < n");
      q = m[0];
    }
    if (q === "") return "";
    if (this.peek() === "?") this.pos++;
    else if (this.peek() === "+") this.fail("possessive quantifiers are not supported");
    return q;
  }
}

/** The GBNF grammar (root rule `root`) accepting exactly the texts the regex matches in full. */
export function regexToGbnf(regex: string): string {
  return new Translator(regex).translate();
}
