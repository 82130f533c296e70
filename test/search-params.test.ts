import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/errors.js";
import { DEFAULT_SEARCH_PARAMS, parseSearchParams, searchParamsSchema } from "../src/search/params.js";

describe("search parameters", () => {
  it("defaults to the paper's values where it gives one", () => {
    expect(DEFAULT_SEARCH_PARAMS).toMatchObject({ branches: 3, c: 0.5, alpha: 0.7, rewardScale: "raw" });
    expect(DEFAULT_SEARCH_PARAMS).toEqual({
      iterations: 24,
      parallelIterations: 1,
      virtualLoss: 1,
      parallelAfter: 12,
      timeBudgetSec: null,
      branches: 3,
      c: 0.5,
      alpha: 0.7,
      rewardScale: "raw",
      maxDepth: 8,
      temperature: 0.7,
      topP: 0.95,
      stepMaxTokens: 256,
      reflectMaxTokens: 128,
      evalMaxTokens: 256,
      cotMaxTokens: 1024,
      maxRegenerations: 2,
      scoreRetries: 2,
      fallbackScore: 5,
      guided: false,
    });
  });

  it("fills defaults for fields left out", () => {
    expect(parseSearchParams({ branches: 2, rewardScale: "unit" })).toEqual({
      ...DEFAULT_SEARCH_PARAMS,
      branches: 2,
      rewardScale: "unit",
    });
  });

  it.each([
    [{ iterations: 0 }, "iterations"],
    [{ iterations: 1.5 }, "iterations"],
    [{ parallelIterations: 0 }, "parallelIterations"],
    [{ parallelIterations: 33 }, "parallelIterations"],
    [{ virtualLoss: -1 }, "virtualLoss"],
    [{ timeBudgetSec: 0 }, "timeBudgetSec"],
    [{ branches: 11 }, "branches"],
    [{ branches: 0 }, "branches"],
    [{ c: -0.1 }, "c"],
    [{ alpha: 1.2 }, "alpha"],
    [{ rewardScale: "percent" }, "rewardScale"],
    [{ maxDepth: 0 }, "maxDepth"],
    [{ topP: 0 }, "topP"],
    [{ maxRegenerations: -1 }, "maxRegenerations"],
    [{ fallbackScore: 11 }, "fallbackScore"],
    [{ guided: "yes" }, "guided"],
    [{ brnaches: 3 }, "(root)"],
  ])("rejects %j naming %s", (input, field) => {
    let error: unknown;
    try {
      parseSearchParams(input, "config.json");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe("config.json");
    expect((error as ConfigError).issues[0]?.startsWith(`${field}:`)).toBe(true);
  });

  it("accepts a null time budget and the range ends", () => {
    expect(() =>
      searchParamsSchema.parse({ timeBudgetSec: null, branches: 10, alpha: 0, c: 0, fallbackScore: 0 }),
    ).not.toThrow();
  });
});
