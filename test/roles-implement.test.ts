import { beforeAll, describe, expect, it } from "vitest";
import { ParseError } from "../src/errors.js";
import { addUsage, countingLlm } from "../src/roles/counting-llm.js";
import { type ImplementParams, implementPlan, NoCodeError } from "../src/roles/implement.js";
import { loadPromptSet, type PromptSet } from "../src/roles/prompts.js";
import { scriptedLlm } from "./support/scripted-llm.js";

let prompts: PromptSet;
beforeAll(async () => {
  prompts = await loadPromptSet();
});

const PROBLEM = { id: "p1", question: "Return the sum of a list." };
const PARAMS: ImplementParams = { temperature: 0.2, topP: 0.9, maxTokens: 512, retries: 2 };
const CODE = "def total(xs):\n    return sum(xs)";

describe("implementPlan", () => {
  it("sends the problem and the numbered plan, and returns the fenced code", async () => {
    const llm = scriptedLlm({ implement: [`Here is the code:\n\`\`\`python\n${CODE}\n\`\`\``] });
    const r = await implementPlan(PROBLEM, ["Add the numbers.", "Return the total."], {
      llm,
      prompts,
      params: PARAMS,
    });
    expect(r).toMatchObject({ code: CODE, codeFrom: "fenced", attempts: 1 });
    expect(r.usage).toMatchObject({ calls: 1, byRole: { implement: 1 } });
    const call = llm.calls[0];
    expect(call?.user).toContain(
      "Problem:\nReturn the sum of a list.\n\nPlan:\nStep 1: Add the numbers.\nStep 2: Return the total.",
    );
    expect(call?.request).toMatchObject({
      purpose: "implement",
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 512,
    });
    expect(call?.system).toContain("implement");
  });

  it("asks again after a reply without code, and after code cut off by max tokens", async () => {
    const llm = scriptedLlm({
      implement: [
        "I would add the numbers with a loop.",
        { text: "```python\ndef total(xs):\n    s = 0\n", finishReason: "length" },
        CODE,
      ],
    });
    const r = await implementPlan(PROBLEM, ["Add the numbers."], {
      llm,
      prompts,
      params: PARAMS,
      seedFor: (a) => 100 + a,
    });
    expect(r).toMatchObject({ code: CODE, codeFrom: "bare", attempts: 3 });
    expect(r.usage.calls).toBe(3);
    expect(llm.calls.map((c) => c.request.seed)).toEqual([100, 101, 102]);
  });

  it("accepts a closed fence even when the reply was cut off after it", async () => {
    const llm = scriptedLlm({
      implement: [{ text: `\`\`\`python\n${CODE}\n\`\`\`\nThis works because`, finishReason: "length" }],
    });
    const r = await implementPlan(PROBLEM, ["Add."], { llm, prompts, params: PARAMS });
    expect(r.codeFrom).toBe("fenced");
  });

  it('throws ParseError("no-code") after the retries, with what they cost', async () => {
    const llm = scriptedLlm({ implement: ["No idea.", "Still prose.", "```java\nclass A {}\n```"] });
    const err = await implementPlan(PROBLEM, ["Add."], { llm, prompts, params: PARAMS }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ParseError);
    expect(err).toBeInstanceOf(NoCodeError);
    expect((err as NoCodeError).kind).toBe("no-code");
    expect((err as NoCodeError).attempts).toBe(3);
    expect((err as NoCodeError).usage.calls).toBe(3);
    expect((err as NoCodeError).message).toContain("p1: no usable Python code after 3 attempts");
    expect((err as NoCodeError).message).toContain("none in Python");
  });

  it("refuses an empty plan without calling the model", async () => {
    const llm = scriptedLlm({ implement: [] });
    await expect(implementPlan(PROBLEM, [], { llm, prompts, params: PARAMS })).rejects.toMatchObject({
      kind: "no-plan",
    });
    expect(llm.calls).toHaveLength(0);
  });
});

describe("countingLlm", () => {
  it("sums calls and tokens, in total and by purpose", async () => {
    const inner = scriptedLlm({
      propose: [{ text: "a", promptTokens: 10, completionTokens: 2 }],
      evaluate: [
        { text: "Score: 5", promptTokens: 20, completionTokens: 3 },
        { text: "Score: 6", promptTokens: 30, completionTokens: 4 },
      ],
    });
    const { llm, usage } = countingLlm(inner);
    await llm.complete({ purpose: "propose", messages: [] });
    await llm.complete({ purpose: "evaluate", messages: [] });
    await llm.complete({ purpose: "evaluate", messages: [] });
    expect(usage()).toEqual({
      calls: 3,
      promptTokens: 60,
      completionTokens: 9,
      byRole: { propose: 1, evaluate: 2 },
      tokensByRole: {
        propose: { promptTokens: 10, completionTokens: 2 },
        evaluate: { promptTokens: 50, completionTokens: 7 },
      },
    });
    // A snapshot, not a live view.
    const before = usage();
    await expect(llm.complete({ purpose: "propose", messages: [] })).rejects.toThrow("no reply left");
    expect(usage()).toEqual(before);
  });

  it("adds two usages (plan + code)", () => {
    const a = { calls: 2, promptTokens: 5, completionTokens: 1, byRole: { propose: 2 }, tokensByRole: {} };
    const b = {
      calls: 1,
      promptTokens: 7,
      completionTokens: 3,
      byRole: { implement: 1, propose: 1 },
      tokensByRole: { implement: { promptTokens: 7, completionTokens: 3 } },
    };
    expect(addUsage(a, b)).toEqual({
      calls: 3,
      promptTokens: 12,
      completionTokens: 4,
      byRole: { propose: 3, implement: 1 },
      tokensByRole: { implement: { promptTokens: 7, completionTokens: 3 } },
    });
    expect(a.calls).toBe(2);
  });
});
