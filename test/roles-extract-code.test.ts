import { describe, expect, it } from "vitest";
import { extractCode } from "../src/roles/extract-code.js";

const SOLUTION = "class Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n        return []";

describe("extractCode", () => {
  it.each([
    {
      name: "a python fence",
      reply: `Here is the code:\n\n\`\`\`python\n${SOLUTION}\n\`\`\`\n\nThis runs in O(n).`,
      code: SOLUTION,
      from: "fenced",
    },
    { name: "a py fence", reply: `\`\`\`py\n${SOLUTION}\n\`\`\``, code: SOLUTION, from: "fenced" },
    { name: "an untagged fence", reply: `\`\`\`\n${SOLUTION}\n\`\`\``, code: SOLUTION, from: "fenced" },
    {
      name: "a Python3 fence, any case",
      reply: `\`\`\`Python3\n${SOLUTION}\n\`\`\``,
      code: SOLUTION,
      from: "fenced",
    },
    {
      name: "the largest of several python blocks",
      reply: `Usage:\n\`\`\`python\nprint(Solution().twoSum([1], 1))\n\`\`\`\nSolution:\n\`\`\`python\n${SOLUTION}\n\`\`\``,
      code: SOLUTION,
      from: "fenced",
    },
    {
      name: "a python block, skipping a longer text block",
      reply: `\`\`\`text\nInput: nums = [2,7,11,15], target = 9\nOutput: [0,1] and a lot more explanation here\n\`\`\`\n\`\`\`python\n${SOLUTION}\n\`\`\``,
      code: SOLUTION,
      from: "fenced",
    },
    {
      name: "an indented fence in a list item (dedented)",
      reply: `1. The code:\n   \`\`\`python\n   def f(x):\n       return x\n   \`\`\``,
      code: "def f(x):\n    return x",
      from: "fenced",
    },
    {
      name: "a closing fence glued to the last line",
      reply: "```python\ndef f(x):\n    return x```",
      code: "def f(x):\n    return x",
      from: "fenced",
    },
    {
      name: "an unterminated fence (cut off)",
      reply: `Sure!\n\`\`\`python\n${SOLUTION}\n`,
      code: SOLUTION,
      from: "unterminated",
    },
    {
      name: "bare code after a lead-in and before prose",
      reply: `Here is the code that follows the plan:\n\nfrom typing import List\n\n${SOLUTION}\n\nThis solution uses a hash map.`,
      code: `from typing import List\n\n${SOLUTION}`,
      from: "bare",
    },
    {
      name: "bare code with a constant and comment above the def",
      reply: "MOD = 10**9 + 7\n# count the ways\ndef ways(n):\n    return n % MOD",
      code: "MOD = 10**9 + 7\n# count the ways\ndef ways(n):\n    return n % MOD",
      from: "bare",
    },
    {
      name: "a think block before the code",
      reply: "<think>```python\nwrong()\n```</think>\n```python\nright = 1\n```",
      code: "right = 1",
      from: "fenced",
    },
  ])("finds $name", ({ reply, code, from }) => {
    expect(extractCode(reply)).toEqual({ code, from });
  });

  it.each([
    ["an empty reply", "", "empty reply"],
    ["prose only", "First sort the array, then use two pointers to find the pair.", "no Python code"],
    ["only another language", "```java\nclass Solution { }\n```", "none in Python"],
    ["an empty python fence", "```python\n\n```", "no Python code"],
    ["a fence with only comments", "```python\n# TODO\n```", "no Python code"],
  ])("rejects %s", (_name, reply, reason) => {
    const r = extractCode(reply);
    expect("error" in r && r.error).toContain(reason);
  });
});
