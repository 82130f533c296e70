/**
 * Where a JSON text stops being JSON, as a line and a column a person can go to. JSON.parse says
 * "at position N" for some errors and nothing for others (Node 20: `Unexpected token 'x', "[{..." is not
 * valid JSON`), so after it fails this scanner walks the text once, by the grammar of RFC 8259, to the
 * first character that cannot continue it. Pure; only run on a text JSON.parse rejected.
 */

export interface JsonSyntaxError {
  /** Character offset of the first character that cannot be there (the text's length: it ended early). */
  offset: number;
  /** 1-based line and column of that character. */
  line: number;
  column: number;
}

class Stop {
  constructor(readonly at: number) {}
}

const WS = new Set([" ", "\t", "\n", "\r"]);

/** Scan `text`; the first syntax error, or undefined when it is valid JSON (or nested too deep to scan). */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const fail = (): never => {
    throw new Stop(i);
  };
  const ws = (): void => {
    while (i < text.length && WS.has(text[i] as string)) i++;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[i] ?? "")) fail();
    while (/[0-9]/.test(text[i] ?? "")) i++;
  };
  const number = (): void => {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else digits();
    if (text[i] === ".") {
      i++;
      digits();
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      digits();
    }
  };
  const string = (): void => {
    i++; // the opening quote
    for (;;) {
      const ch = text[i];
      if (ch === undefined || ch < " ") fail();
      i++;
      if (ch === '"') return;
      if (ch !== "\\") continue;
      const esc = text[i];
      if (esc === "u") {
        i++;
        for (let k = 0; k < 4; k++) {
          if (!/[0-9a-fA-F]/.test(text[i] ?? "")) fail();
          i++;
        }
      } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) i++;
      else fail();
    }
  };
  const sequence = (close: string, item: () => void): void => {
    i++; // the opening bracket
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      ws();
      if (text[i] === ",") {
        i++;
        ws();
        continue;
      }
      if (text[i] !== close) fail();
      i++;
      return;
    }
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === "{") {
      sequence("}", () => {
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
      });
    } else if (ch === "[") sequence("]", value);
    else if (ch === '"') string();
    else if (ch === "t") literal("true");
    else if (ch === "f") literal("false");
    else if (ch === "n") literal("null");
    else if (ch === "-" || /[0-9]/.test(ch ?? "")) number();
    else fail();
    ws();
  };
  try {
    value();
    if (i < text.length) fail();
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) return undefined; // nested past the stack: no position to give
    return { offset: e.at, ...lineAndColumn(text, e.at) };
  }
}

/** 1-based line and column (in characters) of an offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let nl = text.indexOf("\n"); nl >= 0 && nl < offset; nl = text.indexOf("\n", nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
