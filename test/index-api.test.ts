import { describe, expect, it } from "vitest";
import * as sra from "../src/index.js";

describe("public API (src/index.ts)", () => {
  it.each([
    "decontaminate",
    "runGenerate",
    "runExport",
    "runStats",
    "runMerge",
    "runEval",
    "runEvalCompare",
    "executorChecker",
    "searchChecks",
    "readProblemTests",
    "implementQuestion",
    "listModels",
    "searchPlan",
    "runBeam",
    "runBestOfN",
    "runSelfConsistency",
    "runSelfRefine",
    "runRevision",
    "extractExampleInputs",
    "generateCotPlan",
    "implementPlan",
    "ucb1",
    "ucb1WithVirtualLoss",
    "backpropagate",
    "parseScore",
    "extractCode",
    "readProblems",
    "createLlmStack",
    "createLlamaCppLlm",
    "resolveGguf",
    "presetModelFiles",
    "checkLlm",
    "chooseEngine",
    "openInProcessEngine",
    "cacheRoot",
    "cacheDir",
    "createRng",
    "loadEvalBenchmark",
    "prepareExpected",
    "evaluateSamples",
    "passAtK",
    "sanitize",
    "parseSamples",
    "compareTable",
    "openJournal",
    "requestKey",
  ])("exports %s as a function", (name) => {
    expect(typeof (sra as Record<string, unknown>)[name]).toBe("function");
  });

  it("exports the code executor as a class with a start function", () => {
    expect(typeof sra.Executor.start).toBe("function");
  });

  it("computes UCB1 through the public API as the paper's equation 1", () => {
    // r = 0.6, n = 1, N = 3, c = 0.5: 0.6 + 0.5 * sqrt(2 ln 3 / 1) = 0.6 + 0.5 * 1.48230 = 1.34115
    expect(sra.ucb1(0.6, 1, 3, 0.5)).toBeCloseTo(1.34115, 4);
  });
});
