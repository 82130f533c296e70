import { describe, expect, it } from "vitest";
import { extractMainCode, fenceCode, findFencedBlocks } from "../src/export/code-blocks.js";
import {
  buildPair,
  type ExportItem,
  formatResponse,
  type TrainingPair,
  userText,
} from "../src/export/content.js";
import { toAlpacaRecord } from "../src/export/formats/alpaca.js";
import { toSampleRecord } from "../src/export/formats/jsonl.js";
import { toOpenAiRecord } from "../src/export/formats/openai.js";
import { renderJsonArray, renderJsonLines } from "../src/export/formats/serialize.js";
import { toShareGptRecord } from "../src/export/formats/sharegpt.js";
import {
  CODE_INSTRUCTIONS,
  instructionsFor,
  PLAN_INSTRUCTIONS,
  parseInstructionFile,
  pickInstruction,
} from "../src/export/instructions.js";
import { formatPythonFloat } from "../src/export/lora-config.js";
import { parseReferenceRow, splitLeadingSteps } from "../src/export/reference.js";
import { closeTemplateNames, isRegisteredTemplate } from "../src/export/templates.js";
import { estimateTokens } from "../src/export/tokens.js";
import { createRng } from "../src/util/rng.js";
import { makeSample } from "./support/run-fixture.js";

const withInstruction: TrainingPair = {
  id: "p1",
  instruction: "Plan, then code.",
  question: "Add two numbers.",
  response: "Step 1: Add.\n\n```python\ndef add(a, b):\n    return a + b\n```",
};
const bare: TrainingPair = { ...withInstruction, instruction: null };

describe("format records", () => {
  it.each([
    [
      "alpaca with an instruction",
      toAlpacaRecord(withInstruction),
      {
        id: "p1",
        instruction: "Plan, then code.",
        input: "Add two numbers.",
        output: withInstruction.response,
      },
    ],
    [
      "alpaca without one: the question is the instruction",
      toAlpacaRecord(bare),
      { id: "p1", instruction: "Add two numbers.", input: "", output: withInstruction.response },
    ],
    [
      "sharegpt",
      toShareGptRecord(withInstruction),
      {
        id: "p1",
        conversations: [
          { from: "human", value: "Plan, then code.\nAdd two numbers." },
          { from: "gpt", value: withInstruction.response },
        ],
      },
    ],
    [
      "openai",
      toOpenAiRecord(bare),
      {
        messages: [
          { role: "user", content: "Add two numbers." },
          { role: "assistant", content: withInstruction.response },
        ],
      },
    ],
  ])("%s", (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it("joins instruction and question as LLaMA-Factory joins alpaca columns", () => {
    const a = toAlpacaRecord(withInstruction);
    expect(userText(withInstruction)).toBe([a.instruction, a.input].join("\n"));
  });

  it("empties the plan of a jsonl Sample only for --no-plan", () => {
    const s = makeSample({ id: "x" });
    expect(toSampleRecord(s, true)).toBe(s);
    expect(toSampleRecord(s, false)).toMatchObject({ plan: "", steps: [], code: s.code, meta: s.meta });
  });

  it("serializes byte-stably", () => {
    expect(renderJsonArray([{ a: 1 }])).toBe('[\n  {\n    "a": 1\n  }\n]\n');
    expect(renderJsonLines([{ a: 1 }, { b: "é" }])).toBe('{"a":1}\n{"b":"é"}\n');
    expect(renderJsonLines([])).toBe("");
  });
});

describe("buildPair", () => {
  const item: ExportItem = {
    id: "p1",
    question: "  Add two numbers.\n",
    steps: ["Add them."],
    plan: "Step 1: Add them.",
    code: "def add(a, b):\n    return a + b\n",
  };
  it.each([
    [
      "plan + code",
      item,
      true,
      { ok: true, response: "Step 1: Add them.\n\n```python\ndef add(a, b):\n    return a + b\n```" },
    ],
    ["code only", item, false, { ok: true, response: "```python\ndef add(a, b):\n    return a + b\n```" }],
    [
      "plan from steps when plan is empty",
      { ...item, plan: "", steps: ["A", "B"] },
      true,
      { ok: true, response: "Step 1: A\nStep 2: B\n\n```python\ndef add(a, b):\n    return a + b\n```" },
    ],
    ["no code", { ...item, code: "  \n" }, true, { ok: false, reason: "no-code" }],
    ["no code, code only", { ...item, code: null }, false, { ok: false, reason: "no-code" }],
    ["no plan", { ...item, plan: "", steps: [] }, true, { ok: false, reason: "no-plan" }],
    [
      "no plan is fine for code only",
      { ...item, plan: "", steps: [] },
      false,
      { ok: true, response: "```python\ndef add(a, b):\n    return a + b\n```" },
    ],
    [
      "verbatim when not splittable",
      { ...item, code: null, verbatim: "Step 1: Add them.\n" },
      true,
      { ok: true, response: "Step 1: Add them." },
    ],
    [
      "verbatim is not code",
      { ...item, code: null, verbatim: "Step 1: Add them.\n" },
      false,
      { ok: false, reason: "no-code" },
    ],
  ] as const)("%s", (_name, it_, withPlan, expected) => {
    const r = buildPair(it_ as ExportItem, { withPlan, instruction: "Do it." });
    if (expected.ok) {
      expect(r).toEqual({
        ok: true,
        pair: { id: "p1", instruction: "Do it.", question: "Add two numbers.", response: expected.response },
      });
    } else {
      expect(r).toEqual(expected);
    }
  });

  it("uses a longer fence when the code holds a backtick fence", () => {
    const code = 'doc = """\n```\nx\n```\n"""';
    expect(fenceCode(code)).toBe(`\`\`\`\`python\n${code}\n\`\`\`\``);
    expect(formatResponse(null, "x = 1")).toBe("```python\nx = 1\n```");
  });
});

describe("code blocks", () => {
  it.each([
    [
      "picks the defining block over a usage example",
      "intro\n```python\nprint(f(1))\n```\n```python\ndef f(x):\n    return x\n```",
      "def f(x):\n    return x",
    ],
    [
      "takes an unterminated fence to the end",
      "Here:\n```python\ndef f():\n    pass\n",
      "def f():\n    pass",
    ],
    ["accepts an unlabelled block that defines", "```\nclass A:\n    pass\n```", "class A:\n    pass"],
    ["ignores an unlabelled sample output", "```\n1\n```", null],
    ["ignores other languages", "```java\nclass A {}\n```", null],
    ["falls back to the first Python block", "```py\nx = [1, 2]\n```\n```python\ny = 3\n```", "x = [1, 2]"],
    [
      "strips a list item's indentation",
      "1. Code:\n   ```python\n   def f():\n       return 1\n   ```",
      "def f():\n    return 1",
    ],
    ["none", "no code here", null],
  ])("%s", (_name, text, expected) => {
    expect(extractMainCode(text)).toBe(expected);
  });

  it("reports whether a fence was closed", () => {
    expect(findFencedBlocks("```python\na\n```\n~~~\nb").map((b) => [b.lang, b.code, b.closed])).toEqual([
      ["python", "a", true],
      ["", "b", false],
    ]);
  });
});

describe("reference rows", () => {
  const code = "```python\nclass Solution:\n    def f(self):\n        return 1\n```";
  it.each([
    [
      "plan only (reasoning data)",
      { question: "Find x.", solution: "Step 1: Look.\nStep 2: Return.\n" },
      {
        shape: "plan-only",
        question: "Find x.",
        embeddedInstruction: null,
        steps: ["Look.", "Return."],
        code: null,
      },
    ],
    [
      "plan in the question (nl2sl data)",
      {
        question: "### Question: Find x.\n\n### Solution: \nStep 1: Look.\n\n",
        solution: `Here is the code:\n\n${code}\n### Explanation\nIt works.`,
      },
      {
        shape: "plan-in-question",
        question: "Find x.",
        embeddedInstruction: null,
        steps: ["Look."],
        code: "class Solution:\n    def f(self):\n        return 1",
      },
    ],
    [
      "instruction and problem (piped data)",
      {
        question: "Outline the steps, then write the Python code.\nHere's the question:\nFind x.\n\n",
        solution: `Step 1: Look.\nStep 2: Return.\n\n### Code\n${code}`,
      },
      {
        shape: "instruction-and-problem",
        question: "Find x.",
        embeddedInstruction: "Outline the steps, then write the Python code.",
        steps: ["Look.", "Return."],
        code: "class Solution:\n    def f(self):\n        return 1",
      },
    ],
    [
      "instruction line without the separator",
      {
        question: "Analyze the problem, then implement it in Python.\nFind x.",
        solution: `Step 1: Look.\n${code}`,
      },
      {
        shape: "instruction-and-problem",
        question: "Find x.",
        embeddedInstruction: "Analyze the problem, then implement it in Python.",
        steps: ["Look."],
      },
    ],
    [
      "a problem whose first line is not an instruction",
      { question: "Given an array, return its sum.\nExample: [1] -> 1", solution: code },
      {
        shape: "problem",
        question: "Given an array, return its sum.\nExample: [1] -> 1",
        embeddedInstruction: null,
        steps: [],
      },
    ],
  ])("%s", (_name, row, expected) => {
    const parsed = parseReferenceRow(row);
    expect(parsed).toMatchObject(expected);
    expect(parsed.solution).toBe(row.solution);
  });

  it("puts an nl2sl row's plan before its solution in the published answer", () => {
    const parsed = parseReferenceRow({
      question: "Question: Find x.\nSolution: \nStep 1: Look.\n",
      solution: "```java\nclass A {}\n```",
    });
    expect(parsed.code).toBeNull();
    expect(parsed.answer).toBe("Step 1: Look.\n\n```java\nclass A {}\n```");
  });

  it("splits only the leading Step lines", () => {
    expect(splitLeadingSteps("Step 1: a\n\nStep 2: b\nThen prose.\nStep 3: not a plan step")).toEqual({
      steps: ["a", "b"],
      rest: "Then prose.\nStep 3: not a plan step",
    });
  });
});

describe("instructions", () => {
  it("offers six of each kind, all distinct, plan ones asking for a plan", () => {
    for (const set of [PLAN_INSTRUCTIONS, CODE_INSTRUCTIONS]) {
      expect(set).toHaveLength(6);
      expect(new Set(set).size).toBe(6);
    }
    for (const s of CODE_INSTRUCTIONS) expect(s).not.toMatch(/step|plan/i);
    for (const s of PLAN_INSTRUCTIONS) expect(s).toMatch(/step/i);
  });

  it.each([
    [{ kind: "default" } as const, true, PLAN_INSTRUCTIONS],
    [{ kind: "default" } as const, false, CODE_INSTRUCTIONS],
    [{ kind: "none" } as const, true, []],
    [{ kind: "file", file: "f", instructions: ["A", "B"] } as const, false, ["A", "B"]],
  ])("%o withPlan=%s", (set, withPlan, expected) => {
    expect(instructionsFor(set, withPlan)).toEqual(expected);
  });

  it("picks per sample id, stable whatever the order", () => {
    const pick = (id: string) => pickInstruction(createRng(7).fork(id), PLAN_INSTRUCTIONS);
    const ids = Array.from({ length: 60 }, (_, i) => `p${i}`);
    const forward = ids.map(pick);
    const backward = [...ids].reverse().map(pick).reverse();
    expect(backward).toEqual(forward);
    expect(new Set(forward).size).toBeGreaterThanOrEqual(5);
    expect(pickInstruction(createRng(7).fork("p1"), [])).toBeNull();
  });

  it("reads one instruction per non-blank line", () => {
    expect(parseInstructionFile("\uFEFF First.\r\n\n  Second. \n")).toEqual(["First.", "Second."]);
  });
});

describe("small helpers", () => {
  it.each([
    [1e-4, "0.0001"],
    [2e-5, "0.00002"],
    [1e-7, "1.0e-7"],
    [3, "3.0"],
    [0.5, "0.5"],
    [1e21, "1.0e+21"],
    [1.5e-8, "1.5e-8"],
  ])("formatPythonFloat(%s) = %s", (n, s) => {
    expect(formatPythonFloat(n)).toBe(s);
  });

  it.each([
    ["llama3", true],
    ["gemma2", true],
    ["qwen", true],
    ["llama-3", false],
    ["Llama3", false],
  ])("isRegisteredTemplate(%s) = %s", (name, ok) => {
    expect(isRegisteredTemplate(name)).toBe(ok);
  });

  it.each([
    ["llama-3", "llama3"],
    ["gemma-2", "gemma2"],
    ["qwen2.5", "qwen"],
    ["mistrall", "mistral"],
  ])("closeTemplateNames(%s) includes %s", (name, close) => {
    expect(closeTemplateNames(name)).toContain(close);
  });

  it("estimates tokens roughly: words, code, indentation", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("hello world")).toBe(2);
    expect(estimateTokens("def f(x):\n    return x + 1")).toBe(11);
    const long = "word ".repeat(1000);
    expect(estimateTokens(long)).toBe(1000);
  });
});
