/**
 * The LLaMA-Factory contract: the LoRA yaml uses only keys `llamafactory-cli train` accepts, the
 * templates are registered ones, for every preset in configs/models.json.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loraConfig, renderLoraYaml } from "../src/export/lora-config.js";
import { LLAMAFACTORY_TEMPLATES } from "../src/export/templates.js";
import { loadPresets } from "../src/llm/presets.js";
import { loadTemplateNames, loadTrainKeys } from "./support/anchors.js";
import { ROOT } from "./support/cli.js";

const presets = JSON.parse(readFileSync(path.join(ROOT, "configs/models.json"), "utf8")) as Record<
  string,
  { hfId: string; template: string }
>;

function options(hfId: string, template: string) {
  return {
    modelNameOrPath: hfId,
    template,
    dataset: "sra_mcts",
    datasetDir: "/data/out",
    cutoffLen: 2048,
    loraRank: 8,
    epochs: 3,
    learningRate: 1e-4,
    outputDir: "saves/x/lora/sra_mcts",
    seed: 0,
  };
}

describe("LLaMA-Factory anchors", () => {
  const trainKeys = loadTrainKeys();
  const templates = loadTemplateNames();

  it("ships the registered template list of the anchor file", () => {
    expect([...LLAMAFACTORY_TEMPLATES]).toEqual(templates);
  });

  it("knows eval_strategy (not evaluation_strategy), as the anchor says", () => {
    expect(trainKeys.has("eval_strategy")).toBe(true);
    expect(trainKeys.has("evaluation_strategy")).toBe(false);
  });

  it.each(Object.entries(presets))("preset %s: template registered, yaml keys accepted", (_name, preset) => {
    expect(templates).toContain(preset.template);
    const text = renderLoraYaml(options(preset.hfId, preset.template), ["header"]);
    const parsed = parse(text) as Record<string, unknown>;
    const unknown = Object.keys(parsed).filter((k) => !trainKeys.has(k));
    expect(unknown).toEqual([]);
    expect(parsed).toEqual(loraConfig(options(preset.hfId, preset.template)));
    expect(parsed).toMatchObject({
      model_name_or_path: preset.hfId,
      template: preset.template,
      stage: "sft",
      finetuning_type: "lora",
      dataset: "sra_mcts",
      dataset_dir: "/data/out",
    });
  });

  it("loads every preset through the presets module too", async () => {
    for (const p of await loadPresets()) expect(templates).toContain(p.template);
  });

  it("writes floats that PyYAML reads as floats (a dot and a signed exponent)", () => {
    const text = renderLoraYaml({ ...options("m", "llama3"), learningRate: 1e-5, epochs: 2 });
    expect(text).toMatch(/^learning_rate: 0\.00001$/m);
    expect(text).toMatch(/^num_train_epochs: 2\.0$/m);
    const tiny = renderLoraYaml({ ...options("m", "llama3"), learningRate: 5e-7 });
    expect(tiny).toMatch(/^learning_rate: 5\.0e-7$/m);
    expect(parse(tiny)).toMatchObject({ learning_rate: 5e-7 });
  });
});
