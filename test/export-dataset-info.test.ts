import { describe, expect, it } from "vitest";
import {
  DatasetInfoShapeError,
  datasetInfoEntry,
  mergeDatasetInfo,
  renderDatasetInfo,
} from "../src/export/dataset-info.js";

const ours = datasetInfoEntry("sra_mcts.json", "alpaca");

describe("dataset_info.json entries", () => {
  it("maps every alpaca column the records have", () => {
    expect(ours).toEqual({
      file_name: "sra_mcts.json",
      formatting: "alpaca",
      columns: { prompt: "instruction", query: "input", response: "output" },
    });
  });

  it("spells out the sharegpt columns and every tag", () => {
    expect(datasetInfoEntry("d.json", "sharegpt")).toEqual({
      file_name: "d.json",
      formatting: "sharegpt",
      columns: { messages: "conversations" },
      tags: {
        role_tag: "from",
        content_tag: "value",
        user_tag: "human",
        assistant_tag: "gpt",
        observation_tag: "observation",
        function_tag: "function_call",
        system_tag: "system",
      },
    });
  });
});

describe("mergeDatasetInfo", () => {
  const other = { file_name: "alpaca_en_demo.json" };
  it.each([
    ["no file yet", undefined, { sra_mcts: ours }],
    ["keeps others, appends ours", { alpaca_en_demo: other }, { alpaca_en_demo: other, sra_mcts: ours }],
    [
      "replaces ours in place",
      { a: other, sra_mcts: { file_name: "old.json" }, b: other },
      { a: other, sra_mcts: ours, b: other },
    ],
    ["an empty object", {}, { sra_mcts: ours }],
  ])("%s", (_name, existing, expected) => {
    const merged = mergeDatasetInfo(existing, "sra_mcts", ours);
    expect(merged).toEqual(expected);
    expect(Object.keys(merged)).toEqual(Object.keys(expected));
  });

  it.each([
    ["an array", [1, 2], "an array"],
    ["null", null, "null"],
    ["a string", "x", "a string"],
    ["a number", 3, "a number"],
  ])("refuses %s", (_name, existing, what) => {
    expect(() => mergeDatasetInfo(existing, "sra_mcts", ours)).toThrow(DatasetInfoShapeError);
    expect(() => mergeDatasetInfo(existing, "sra_mcts", ours)).toThrow(what);
  });

  it("keeps a __proto__ entry as an entry", () => {
    const existing = JSON.parse('{"__proto__": {"file_name": "x.json"}}') as unknown;
    const merged = mergeDatasetInfo(existing, "sra_mcts", ours);
    expect(Object.keys(merged)).toEqual(["__proto__", "sra_mcts"]);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(JSON.parse(renderDatasetInfo(merged))).toEqual(
      JSON.parse(
        '{"__proto__": {"file_name": "x.json"}, "sra_mcts": {}}'.replace("{}", JSON.stringify(ours)),
      ),
    );
  });
});
