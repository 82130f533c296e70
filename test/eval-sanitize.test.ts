import { describe, expect, it } from "vitest";
import { outline } from "../src/eval/python-outline.js";
import { sanitize } from "../src/eval/sanitize.js";

const FN = "def add(a, b):\n    return a + b";
const fence = (code: string, tag = "python") => `\`\`\`${tag}\n${code}\n\`\`\``;

describe("sanitize: the program to run out of a model's reply", () => {
  it.each([
    {
      name: "a chat reply with prose around one block",
      reply: `Sure! Here is the function.\n\n${fence(FN)}\n\nIt adds the numbers.`,
      code: FN,
      from: "fenced",
    },
    {
      name: "a Step n: plan before the code (a model trained on our data)",
      reply: `Step 1: Take a and b.\nStep 2: Return their sum.\n\n${fence(FN)}`,
      code: FN,
      from: "fenced",
    },
    {
      name: "a plan, then bare code",
      reply: `Step 1: Take a and b.\nStep 2: Return their sum.\n\n${FN}\n\nThat is all.`,
      code: FN,
      from: "bare",
    },
    {
      name: "several blocks: the helper in one, the function in another, usage in a third",
      reply: `Helper:\n${fence("def twice(x):\n    return 2 * x")}\nThen:\n${fence("def add(a, b):\n    return twice(a) // 2 + b")}\nUsage:\n${fence("print(add(1, 2))\nassert add(1, 1) == 2")}`,
      code: "def twice(x):\n    return 2 * x\n\ndef add(a, b):\n    return twice(a) // 2 + b",
      from: "fenced-joined",
    },
    {
      name: "example calls, prints, asserts and a main block are dropped; imports stay",
      reply: fence(
        `import math\nfrom typing import List\n\nUNUSED = 3\nSCALE = 1\n\n${"def add(a, b):\n    return (a + b) * SCALE"}\n\nprint(add(1, 2))\nassert add(2, 2) == 4\nif __name__ == "__main__":\n    print(add(3, 4))`,
      ),
      code: "import math\n\nfrom typing import List\n\nSCALE = 1\n\ndef add(a, b):\n    return (a + b) * SCALE",
      from: "fenced",
    },
    {
      name: "a name defined twice keeps its last definition",
      reply: fence("def add(a, b):\n    return a - b\n\ndef add(a, b):\n    return a + b"),
      code: FN,
      from: "fenced",
    },
    {
      name: "a decorator and a class the function uses",
      reply: fence(
        "import functools\n\nclass Acc:\n    def __init__(self):\n        self.n = 0\n\n@functools.lru_cache(None)\ndef add(a, b):\n    return Acc().n + a + b\n\nclass Unused:\n    pass",
      ),
      code: "import functools\n\nclass Acc:\n    def __init__(self):\n        self.n = 0\n\n@functools.lru_cache(None)\ndef add(a, b):\n    return Acc().n + a + b",
      from: "fenced",
    },
    {
      name: "strings and comments that mention other names do not keep them",
      reply: fence(
        'def helper():\n    return 1\n\ndef add(a, b):\n    # helper() is not needed\n    """helper is not called"""\n    return a + b',
      ),
      code: 'def add(a, b):\n    # helper() is not needed\n    """helper is not called"""\n    return a + b',
      from: "fenced",
    },
    {
      name: "an f-string's expressions count as code",
      reply: fence('def fmt(x):\n    return str(x)\n\ndef add(a, b):\n    return int(f"{fmt(a + b)}")'),
      code: 'def fmt(x):\n    return str(x)\n\ndef add(a, b):\n    return int(f"{fmt(a + b)}")',
      from: "fenced",
    },
  ])("$name", ({ reply, code, from }) => {
    const out = sanitize(reply, { entryPoint: "add" });
    expect(out.code).toBe(code);
    expect(out.extraction.from).toBe(from);
  });

  it("records what it kept and dropped, and why", () => {
    const out = sanitize(fence(`${FN}\n\nprint(add(1, 2))`), { entryPoint: "add" });
    expect(out.extraction).toEqual({
      from: "fenced",
      blocks: 1,
      kept: ["add"],
      dropped: ["print(add(1, 2))"],
      notes: ["kept add and what it uses"],
    });
  });

  it("appends a bare function body to the prompt (a completion)", () => {
    const prompt = 'def add(a, b):\n    """Add."""\n';
    const out = sanitize("    return a + b\n", { entryPoint: "add", prompt });
    expect(out.code).toBe('def add(a, b):\n    """Add."""\n    return a + b');
    expect(out.extraction.from).toBe("completion");
  });

  it("keeps code without the entry point as it is, and says so", () => {
    const out = sanitize(fence("def other():\n    return 1"), { entryPoint: "add" });
    expect(out.code).toBe("def other():\n    return 1");
    expect(out.extraction.notes).toEqual(["no function add in the reply: kept as it is"]);
  });

  it("APPS call-based: the entry point is a method of Solution, so the class is kept with what it uses", () => {
    const code =
      "from typing import List\n\ndef helper(x):\n    return x\n\nclass Solution:\n    def maxProfit(self, prices: List[int]) -> int:\n        return helper(0)";
    const out = sanitize(fence(`${code}\n\nprint(Solution().maxProfit([1, 2]))\nprint(undefined_name)`), {
      entryPoint: "maxProfit",
    });
    expect(out.code).toBe(code);
    expect(out.extraction.kept).toEqual(["helper", "Solution"]);
    expect(out.extraction.dropped).toHaveLength(2);
  });

  it("without an entry point, takes the largest block and keeps everything in it", () => {
    const out = sanitize(`${fence("x = 1")}\n${fence(`${FN}\nprint(add(1, 2))`)}`);
    expect(out.code).toBe(`${FN}\nprint(add(1, 2))`);
    expect(out.extraction.notes).toEqual(["took the largest of 2 Python blocks"]);
  });

  it("a reply with no code gives empty code and the reason", () => {
    expect(sanitize("I cannot help with that.", { entryPoint: "add" })).toEqual({
      code: "",
      extraction: { from: "none", blocks: 0, kept: [], dropped: [], notes: ["no Python code in the reply"] },
    });
  });
});

describe("outline: top-level statements without a parser", () => {
  it("splits compound statements, continuations, brackets and triple-quoted strings correctly", () => {
    const src = [
      "import os, sys as system",
      "from a.b import (c,",
      "    d as e)",
      "X = [1,",
      "2]",
      "Y = 'not # a comment' \\",
      "    + 'z'",
      "def f():",
      '    s = """',
      "def g():",
      '"""',
      "    return s",
      "if X:",
      "    pass",
      "else:",
      "    pass",
      "class K(object):",
      "    pass",
    ].join("\n");
    const st = outline(src);
    expect(st.map((s) => [s.kind, s.defines])).toEqual([
      ["import", ["os", "system"]],
      ["import", ["c", "e"]],
      ["assign", ["X"]],
      ["assign", ["Y"]],
      ["def", ["f"]],
      ["other", []],
      ["class", ["K"]],
    ]);
    expect(st[4]?.text).toContain("return s");
  });
});
