/**
 * Defaults read from configs/defaults.yaml (src/util/config-defaults.ts) and applied to option tables
 * and object schemas (src/util/option-table.ts): the shipped file, and what a bad file says.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "../src/errors.js";
import { EVAL_SETTINGS } from "../src/eval/eval-settings.js";
import { EXECUTE_SETTINGS } from "../src/execute/settings.js";
import { DEFAULT_CONTEXT_SIZE, DEFAULT_PARALLEL } from "../src/llm/llama-cpp/defaults.js";
import {
  DEFAULT_IN_PROCESS_MODEL,
  IN_PROCESS_DEFAULTS,
  LLAMA_CPP_SETTINGS,
  SERVER_SETTINGS,
} from "../src/llm/llm-settings.js";
import { DEFAULT_RETRY_POLICY } from "../src/llm/retry.js";
import { GENERATE_SETTINGS } from "../src/run/generate-settings.js";
import { DEFAULT_SEARCH_PARAMS, searchParamsSchema } from "../src/search/params.js";
import { parseDefaultsText, readDefaults, sectionFrom } from "../src/util/config-defaults.js";
import {
  option,
  shapeWithDefaults,
  tableDefaults,
  tableWithDefaults,
  valueAt,
} from "../src/util/option-table.js";

const FILE = "defaults.yaml";

const source = (text: string, name: string) => sectionFrom(parseDefaultsText(text, FILE), name);

const TABLE = {
  jobs: option({ schema: z.number().int().min(1), flag: "--jobs <n>" }),
  log: { level: option({ schema: z.enum(["info", "debug"]) }) },
  name: option({ schema: z.string().min(1) }),
};

function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("configs/defaults.yaml", () => {
  it("holds the paper's search values, and the search schema takes them as its defaults", () => {
    const search = readDefaults("search").values;
    expect(search).toMatchObject({ branches: 3, c: 0.5, alpha: 0.7, iterations: 24, rewardScale: "raw" });
    expect(DEFAULT_SEARCH_PARAMS).toEqual(search);
    expect(searchParamsSchema.parse({ c: 1 })).toEqual({ ...search, c: 1 });
  });

  it("feeds the executor's rows, eval's table and generate's code checks", () => {
    expect(tableDefaults(EXECUTE_SETTINGS)).toEqual(readDefaults("execute").values);
    const evalDefaults = tableDefaults(EVAL_SETTINGS) as Record<string, unknown>;
    expect(evalDefaults).toMatchObject(readDefaults("eval").values);
    // The shared rows keep their own sections' defaults.
    expect(evalDefaults.execute).toEqual(readDefaults("execute").values);
    expect(evalDefaults.server).toEqual(readDefaults("server").values);
    expect(valueAt(tableDefaults(GENERATE_SETTINGS), "check")).toEqual({
      code: true,
      workers: 1,
      python: "python3",
    });
  });

  it("feeds the LLM rows and the constants the code uses by name", () => {
    const server = readDefaults("server").values;
    expect(DEFAULT_RETRY_POLICY).toEqual(server.retry);
    expect(tableDefaults(SERVER_SETTINGS)).toEqual(server);
    expect(tableDefaults(LLAMA_CPP_SETTINGS)).toEqual(readDefaults("llamaCpp").values);
    const inProcess = readDefaults("inProcess").values;
    expect({ model: DEFAULT_IN_PROCESS_MODEL, ...IN_PROCESS_DEFAULTS }).toEqual(inProcess);
    expect([DEFAULT_PARALLEL, DEFAULT_CONTEXT_SIZE]).toEqual([4, 4096]);
  });

  it("feeds generate's table: every value of its section is that row's default", () => {
    const defaults = tableDefaults(GENERATE_SETTINGS);
    const section = readDefaults("generate").values;
    expect(defaults).toMatchObject(section);
    expect(valueAt(defaults, "run.concurrency")).toBe(256);
  });
});

describe("tableWithDefaults", () => {
  it("gives the rows the file names their defaults and leaves the others without one", () => {
    const table = tableWithDefaults(TABLE, source("t:\n  jobs: 4\n  log:\n    level: debug\n", "t"));
    expect(tableDefaults(table)).toEqual({ jobs: 4, log: { level: "debug" } });
  });

  it.each([
    ["a key that is no setting", "t:\n  jobs: 4\n  jbos: 5\n", ["line 3: t.jbos: no such setting"]],
    ["a value the row refuses", "t:\n  jobs: 0\n", [/^line 2: t\.jobs: Too small/]],
    [
      "a value of the wrong type",
      "t:\n  log:\n    level: loud\n",
      [/^line 3: t\.log\.level: Invalid option/],
    ],
  ])("refuses %s, naming the file, the line and the key", (_what, text, expected) => {
    const e = errorOf(() => tableWithDefaults(TABLE, source(text, "t")));
    expect(e.file).toBe(FILE);
    expect(e.issues).toHaveLength(expected.length);
    expected.forEach((want, i) => {
      if (typeof want === "string") expect(e.issues[i]).toBe(want);
      else expect(e.issues[i]).toMatch(want);
    });
    expect(e.message.startsWith(`${FILE}: `)).toBe(true);
  });

  it("refuses a default stated both in code and in the file", () => {
    const table = { jobs: option({ schema: z.number().default(2) }) };
    const e = errorOf(() => tableWithDefaults(table, source("t:\n  jobs: 4\n", "t")));
    expect(e.issues).toEqual(["line 2: t.jobs: the default is also stated in code"]);
  });
});

describe("shapeWithDefaults", () => {
  const shape = { a: z.number(), b: z.string() };

  it("needs every key's default, and no other key", () => {
    const e = errorOf(() => shapeWithDefaults(shape, source("s:\n  a: 1\n  c: 2\n", "s")));
    expect(e.issues).toEqual([
      "line 3: s.c: no such parameter",
      "s.b: missing (every parameter needs its default here)",
    ]);
  });

  it("makes a schema whose parse of nothing is the file's values", () => {
    const schema = z.object(shapeWithDefaults(shape, source("s:\n  a: 1\n  b: x\n", "s")));
    expect(schema.parse({})).toEqual({ a: 1, b: "x" });
  });
});

describe("parseDefaultsText", () => {
  it.each([
    ["a syntax error", "s:\n  a: [1, 2\n", /^line \d+: /],
    ["a section that is not a map", "s: 3\n", /^line 1: s: expected a map of defaults$/],
  ])("names the line of %s", (_what, text, pattern) => {
    const e = errorOf(() => parseDefaultsText(text, FILE));
    expect(e.issues[0]).toMatch(pattern);
  });

  it("names a missing section", () => {
    const e = errorOf(() => source("s:\n  a: 1\n", "eval"));
    expect(e.issues).toEqual(["eval: missing section"]);
  });
});
