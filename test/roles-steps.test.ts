import { describe, expect, it } from "vitest";
import { cleanStep } from "../src/roles/clean-step.js";
import { parsePlanSteps } from "../src/roles/parse-plan.js";
import { parseReflection } from "../src/roles/parse-reflection.js";
import { normaliseStep } from "../src/search/normalise-step.js";

describe("cleanStep", () => {
  it.each([
    ["plain text", "Sort the array in ascending order.", "Sort the array in ascending order.", false, false],
    ["a Step n: prefix", "Step 3: Use two pointers.", "Use two pointers.", false, false],
    [
      "a bold header",
      "**Step 2:** Build a hash map from value to index.",
      "Build a hash map from value to index.",
      false,
      false,
    ],
    [
      "a markdown heading",
      "### Step 4 - Handle empty input\nReturn 0 when the list is empty.",
      "Handle empty input Return 0 when the list is empty.",
      false,
      false,
    ],
    [
      "Next step: and chatter",
      "Sure! Here is the next step:\nNext step: Count each character.",
      "Count each character.",
      false,
      false,
    ],
    [
      "a lead-in with content",
      "Here's the next step: merge the two halves.",
      "merge the two halves.",
      false,
      false,
    ],
    ["a label", "Thought: we need the prefix sums first.", "we need the prefix sums first.", false, false],
    [
      "a sign-off",
      "Use a min-heap of size k.\n\nLet me know if you need more detail!",
      "Use a min-heap of size k.",
      false,
      false,
    ],
    ["a list marker", "- Iterate over the string once.", "Iterate over the string once.", false, false],
    [
      "bold around the whole step",
      "**Use binary search on the answer.**",
      "Use binary search on the answer.",
      false,
      false,
    ],
    [
      "inline code and formulas kept",
      "Set `dp[i] = dp[i-1] + dp[i-2]` for i >= 2.",
      "Set `dp[i] = dp[i-1] + dp[i-2]` for i >= 2.",
      false,
      false,
    ],
    [
      "a fenced code block",
      "Use a stack to match brackets.\n```python\nstack = []\nfor ch in s:\n    pass\n```",
      "Use a stack to match brackets.",
      true,
      false,
    ],
    [
      "an unterminated fence",
      "Count frequencies.\n```python\nfrom collections import Counter\n",
      "Count frequencies.",
      true,
      false,
    ],
    [
      "bare code",
      "Define the helper.\ndef helper(i):\n    return i + 1\nThen call it for every index.",
      "Define the helper. Then call it for every index.",
      true,
      false,
    ],
    [
      "inline triple backticks",
      "Store pairs ```seen[x] = i``` in a map.",
      "Store pairs in a map.",
      true,
      false,
    ],
    [
      "several steps: only the first kept",
      "Step 3: Sort the intervals by start.\nStep 4: Merge overlapping ones.\nStep 5: Return the list.",
      "Sort the intervals by start.",
      false,
      true,
    ],
    ["special tokens", "Check the boundary cases.<|eot_id|>", "Check the boundary cases.", false, false],
    ["only code", "```python\nprint(1)\n```", "", true, false],
  ])("cleans %s", (_name, reply, step, strippedCode, extraSteps) => {
    expect(cleanStep(reply)).toEqual({ step, strippedCode, extraSteps });
  });
});

describe("normaliseStep", () => {
  it.each([
    ["Step 2: Sort the array.", "sort the array"],
    ["**First**, sort the array!", "sort the array"],
    ["Then,   SORT the  array", "sort the array"],
    ["Next step: sort the array", "sort the array"],
    ["Use `dp[i-1]`", "use dp i-1"],
    ["Use dp[i+1]", "use dp i+1"],
    ["Café – naïve", "café naïve"],
    ["Finally", "finally"], // a lone connective stays
  ])("normalises %j to %j", (text, expected) => {
    expect(normaliseStep(text)).toBe(expected);
  });

  it("makes rewordings in form equal and different ideas different", () => {
    expect(normaliseStep("Step 1: Sort the array.")).toBe(normaliseStep("first, sort the array"));
    expect(normaliseStep("Sort the array.")).not.toBe(normaliseStep("Sort the array in reverse."));
    expect(normaliseStep("dp[i] = dp[i-1]")).not.toBe(normaliseStep("dp[i] = dp[i+1]"));
    // Ordinals are connectives only before a comma.
    expect(normaliseStep("First idea.")).not.toBe(normaliseStep("Second idea."));
    expect(normaliseStep("Second pass: merge.")).toBe("second pass merge");
  });
});

describe("parseReflection", () => {
  it.each([
    ["<end>", true],
    ["<END>", true],
    ["< end >", true],
    ["</end>", true],
    ["`<end>`", true],
    ['"<end>"', true],
    ["**<end>**", true],
    ["The steps above solve the problem completely. <end>", true],
    ["<end>\nAll cases are covered.", true],
    ["No further steps are needed <end>", true],
    ["end", true],
    ["End.", true],
    ["Not yet <end>: we still need to handle duplicates.", false],
    ["I will not output <end> because the return value is missing.", false],
    ["Next, compute the prefix sums so each query is O(1).", false],
    ["The plan should end by returning the count.", false],
  ])("%j -> end=%s", (reply, end) => {
    expect(parseReflection(reply).end).toBe(end);
  });

  it("cleans a thought like a step and drops a negated tag", () => {
    expect(parseReflection("Thought: handle the empty string first.")).toEqual({
      end: false,
      thought: "handle the empty string first.",
    });
    expect(parseReflection("Do not <end> yet; the merge step is missing.").thought).toBe(
      "Do not yet; the merge step is missing.",
    );
  });
});

describe("parsePlanSteps (CoT)", () => {
  it("reads Step n lines and drops the lead-in and the epilogue", () => {
    const reply = [
      "Here is a plan:",
      "",
      "Step 1: Sort the array.",
      "Step 2: Use two pointers from both ends,",
      "  moving the left one when the sum is too small.",
      "**Step 3:** Return the indices.",
      "",
      "This plan runs in O(n log n).",
    ].join("\n");
    expect(parsePlanSteps(reply)).toEqual({
      steps: [
        "Sort the array.",
        "Use two pointers from both ends, moving the left one when the sum is too small.",
        "Return the indices.",
      ],
      numbered: true,
      strippedCode: false,
    });
  });

  it("reads a header on its own line with the text below it", () => {
    const reply = "### Step 1\n\nCount the characters.\n\n### Step 2\n\nCompare the counts.";
    expect(parsePlanSteps(reply).steps).toEqual(["Count the characters.", "Compare the counts."]);
  });

  it("reads numbered items when there are no Step lines, keeping sub-bullets in their step", () => {
    const reply =
      "1. Build a graph.\n   - one node per course\n2) Run a topological sort.\n3. Return whether all nodes were visited.";
    expect(parsePlanSteps(reply)).toMatchObject({
      steps: [
        "Build a graph. one node per course",
        "Run a topological sort.",
        "Return whether all nodes were visited.",
      ],
      numbered: true,
    });
  });

  it("prefers Step lines over numbered sub-items inside them", () => {
    const reply =
      "Step 1: Handle the base cases:\n 1. empty input\n 2. one element\nStep 2: Recurse on halves.";
    expect(parsePlanSteps(reply).steps).toEqual([
      "Handle the base cases: empty input one element",
      "Recurse on halves.",
    ]);
  });

  it("falls back to bullets, then paragraphs (unnumbered)", () => {
    expect(parsePlanSteps("- Sort.\n- Scan.\n- Return.")).toEqual({
      steps: ["Sort.", "Scan.", "Return."],
      numbered: false,
      strippedCode: false,
    });
    expect(parsePlanSteps("My plan:\n\nSort the list.\n\nScan it once.")).toMatchObject({
      steps: ["Sort the list.", "Scan it once."],
      numbered: false,
    });
  });

  it("strips code from the plan and reports it", () => {
    const reply = "Step 1: Sort.\n```python\nnums.sort()\n```\nStep 2: Scan.";
    expect(parsePlanSteps(reply)).toEqual({ steps: ["Sort.", "Scan."], numbered: true, strippedCode: true });
  });

  it("gives no steps for an empty or code-only reply", () => {
    expect(parsePlanSteps("").steps).toEqual([]);
    expect(parsePlanSteps("```python\nprint(1)\n```").steps).toEqual([]);
  });
});
