/**
 * The LLM side of the new roles: the critic's reply parser, the critique and revise calls (what
 * they send, what they read back), and the Implementer inside a search (a plan without code is a
 * value there, not a failure), on a scripted Llm.
 */
import { describe, expect, it } from "vitest";
import { createLlmPolicy } from "../src/roles/llm-policy.js";
import { MAX_FEEDBACK_CHARS, parseCritique } from "../src/roles/parse-critique.js";
import { loadPromptSet } from "../src/roles/prompts.js";
import { DEFAULT_SEARCH_PARAMS } from "../src/search/params.js";
import { scriptedLlm } from "./support/scripted-llm.js";

describe("parseCritique", () => {
  it.each([
    ["<approved>", true, ""],
    ["The plan is complete. <Approved/>", true, ""],
    ["**APPROVED**", true, ""],
    ["< approve >", true, ""],
    [
      "I cannot give <approved> yet: the empty list is not handled.",
      false,
      "I cannot give   yet: the empty list is not handled.",
    ],
    ["- Step 2 sorts twice.\n- Nothing is returned.", false, "- Step 2 sorts twice.\n- Nothing is returned."],
    ["<think>maybe <approved></think>Step 3 is wrong.", false, "Step 3 is wrong."],
  ])("%j -> approved %s", (text, approved, critique) => {
    expect(parseCritique(text)).toEqual({ approved, critique });
  });

  it("caps a rambling critique", () => {
    const long = "x".repeat(MAX_FEEDBACK_CHARS * 2);
    expect(parseCritique(long).critique).toHaveLength(MAX_FEEDBACK_CHARS);
  });
});

describe("the critique, revise and implement roles on a model", async () => {
  const prompts = await loadPromptSet();
  const code = { temperature: 0.2, topP: 0.9, maxTokens: 300, retries: 1, style: "plain" as const };
  const policyOn = (llm: ReturnType<typeof scriptedLlm>, style: "plain" | "modular" = "plain") =>
    createLlmPolicy({ llm, prompts, params: DEFAULT_SEARCH_PARAMS, code: { ...code, style } });

  it("critique shows the plan and the code (or that there is none), and reads the verdict", async () => {
    const llm = scriptedLlm({ critique: ["- Nothing is returned.", "<approved>"] });
    const policy = policyOn(llm);
    const first = await policy.critique({ question: "Q?", steps: ["Sort.", "Scan."], code: null, seed: 3 });
    expect(first).toMatchObject({ approved: false, critique: "- Nothing is returned." });
    const second = await policy.critique({ question: "Q?", steps: ["Sort."], code: "x = 1\n", seed: 4 });
    expect(second.approved).toBe(true);
    expect(llm.calls[0]?.user).toContain("Step 1: Sort.\nStep 2: Scan.");
    expect(llm.calls[0]?.user).toContain("(not written yet)");
    expect(llm.calls[1]?.user).toContain("```python\nx = 1\n```");
    expect(llm.calls.map((c) => [c.request.seed, c.request.maxTokens])).toEqual([
      [3, DEFAULT_SEARCH_PARAMS.critiqueMaxTokens],
      [4, DEFAULT_SEARCH_PARAMS.critiqueMaxTokens],
    ]);
  });

  it("revise sends the earlier plan and the feedback and reads a whole new plan", async () => {
    const llm = scriptedLlm({ revise: ["Step 1: Sort.\nStep 2: Return the first."] });
    const out = await policyOn(llm).revise({
      question: "Q?",
      steps: ["Sort."],
      code: null,
      feedback: "- Return it.",
      seed: 1,
    });
    expect(out).toMatchObject({ steps: ["Sort.", "Return the first."], numbered: true, complete: true });
    expect(llm.calls[0]?.purpose).toBe("revise");
    expect(llm.calls[0]?.user).toContain("Feedback:\n- Return it.");
  });

  it("implement returns the code, or null when every attempt had none; modular uses its own prompt", async () => {
    const ok = scriptedLlm({ implement: ["```python\ndef f():\n    return 1\n```"] });
    expect(
      await policyOn(ok, "modular").implement({ question: "Q?", steps: ["Return 1."], seed: 9 }),
    ).toEqual({
      code: "def f():\n    return 1",
      attempts: 1,
      events: [],
    });
    expect(ok.calls[0]?.system).toContain("one-line docstring");
    const none = scriptedLlm({ implement: ["No idea.", "Still prose."] });
    expect(await policyOn(none).implement({ question: "Q?", steps: ["Return 1."], seed: 9 })).toMatchObject({
      code: null,
      attempts: 2,
    });
    // Attempt 0 is sent with the request's own seed, the retry with another.
    const seeds = none.calls.map((c) => c.request.seed);
    expect(seeds[0]).toBe(9);
    expect(seeds[1]).not.toBe(9);
  });
});
