import { describe, expect, it } from "vitest";
import { parseScore } from "../src/roles/parse-score.js";

describe("parseScore", () => {
  it.each([
    // [reply, value, form]
    ["Score: 7", 7, "labelled"],
    ["**Score:** 7/10", 7, "labelled"],
    ["**Score**: 8", 8, "labelled"],
    ["score = 7", 7, "labelled"],
    ["Score: 7.5", 7.5, "labelled"],
    ["SCORE:9", 9, "labelled"],
    ["Score: **6**", 6, "labelled"],
    ["Final score: 10/10.", 10, "labelled"],
    ["Overall score is 4.", 4, "labelled"],
    ["The score for this step is 8 out of 10.", 8, "labelled"],
    ["Score (0-10): 3", 3, "labelled"],
    ["Rating: 80%", 8, "labelled"],
    ["Score: 4/5", 8, "labelled"],
    ["Score：6", 6, "labelled"], // full-width colon
    ["Score: 0", 0, "labelled"],
    // several: the last labelled score wins (criteria first, the overall score at the end)
    ["Correctness score: 9\nCoherence score: 8\nOverall score: 6", 6, "labelled"],
    ["Step 2 is right but Step 3 is vague.\nScore: 5", 5, "labelled"],
    // unlabelled fractions
    ["I would rate this step 7 out of 10.", 7, "fraction"],
    ["7/10 - a solid step", 7, "fraction"],
    ["It's fine. 6.5/10", 6.5, "fraction"],
    // bare numbers: the whole reply, or its first or last line
    ["7", 7, "bare"],
    [" 8. ", 8, "bare"],
    ["**9**", 9, "bare"],
    ["6\nThe step is mostly correct but skips the empty input.", 6, "bare"],
    ["The step is correct and necessary.\n\n10", 10, "bare"],
    // a reasoning model's scratchpad is ignored
    ["<think>maybe 3? Score: 3</think>\nScore: 9", 9, "labelled"],
  ])("reads %j as %f (%s)", (reply, value, form) => {
    expect(parseScore(reply)).toEqual({ value, form });
  });

  it.each([
    ["", "empty reply"],
    ["Score: N", "no score"],
    ["The step sorts the array first, then uses two pointers.", "no score"],
    ["Score: 15", "out of range"],
    ["Score: -2", "out of range"],
    ["12/10, perfect", "out of range"],
    ["Score: 11/10", "out of range"],
    ["I think it deserves 7 because it handles 3 cases", "no score"],
    ["Here is my evaluation of step 3 against 4 criteria.", "no score"],
    ["Score: 85", "out of range"],
  ])("rejects %j (%s)", (reply, reason) => {
    const r = parseScore(reply);
    expect("error" in r).toBe(true);
    if ("error" in r) expect(r.error).toContain(reason);
  });

  it("does not read 7/100 as 7/10", () => {
    expect(parseScore("7/100")).toEqual({ error: expect.stringContaining("no score") });
  });
});
