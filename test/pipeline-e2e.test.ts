/**
 * The whole pipeline from the user's side, as issue 4's "done when" reads: decontaminate, generate
 * (mcts and the cot baseline) against the fake server through the real CLI, export for LLaMA-Factory
 * with a different base model, the code-only ablation, and stats side by side. The exported YAML and
 * dataset_info are checked against LLaMA-Factory's own key and template lists (../shared/anchors).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadTemplateNames, loadTrainKeys } from "./support/anchors.js";
import { DATASETS, exportArgs, generateArgs, runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { createPlanScript } from "./support/plan-script.js";

let server: FakeServer;
let dir: string;

beforeAll(async () => {
  server = await startFakeOpenAiServer({
    models: ["meta-llama/Meta-Llama-3-70B-Instruct", "google/gemma-2-2b-it"],
    slots: 32,
    script: createPlanScript({ endAfterSteps: 3, messyScoreRate: 0.2, seed: 3 }),
  });
  dir = await mkdtemp(path.join(os.tmpdir(), "sra-pipeline-"));
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function readJsonl(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("decontaminate -> generate -> export -> stats", () => {
  const N = 8;

  it("runs end to end through the CLI, and the export loads as LLaMA-Factory expects", async () => {
    const clean = path.join(dir, "clean.jsonl");
    const d = await runCli([
      "decontaminate",
      path.join(DATASETS, "leetcode-uneasy.jsonl"),
      "-o",
      clean,
      "--datasets-dir",
      DATASETS,
    ]);
    expect(d.code, d.stderr).toBe(0);

    // The distillation comparison (paper section 4.4): a large model generates ...
    const mcts = path.join(dir, "mcts");
    const g = await runCli(
      generateArgs({ url: server.url, problems: clean, out: mcts, model: "llama-3-70b" }, [
        "--limit",
        String(N),
      ]),
    );
    expect(g.code, g.stderr).toBe(0);
    const samples = readJsonl(await readFile(path.join(mcts, "samples.jsonl"), "utf8"));
    expect(samples).toHaveLength(N);
    for (const s of samples) {
      expect((s.steps as string[]).length).toBeGreaterThanOrEqual(2);
      expect(s.plan).toMatch(/^Step 1: /);
      expect(String(s.code)).toMatch(/def |class /);
    }

    // ... the CoT baseline, same problems, same files ...
    const cot = path.join(dir, "cot");
    const c = await runCli(
      generateArgs({ url: server.url, problems: clean, out: cot, model: "llama-3-70b" }, [
        "--strategy",
        "cot",
        "--limit",
        String(N),
      ]),
    );
    expect(c.code, c.stderr).toBe(0);
    const cotSamples = readJsonl(await readFile(path.join(cot, "samples.jsonl"), "utf8"));
    expect(cotSamples.map((s) => s.id).sort()).toEqual(samples.map((s) => s.id).sort());
    expect(cotSamples.every((s) => (s.meta as { strategy: string }).strategy === "cot")).toBe(true);

    // ... exported for the small model that will be fine-tuned.
    const out = path.join(dir, "data");
    const e = await runCli(exportArgs("llamafactory", mcts, out, ["--base-model", "gemma-2-2b"]));
    expect(e.code, e.stderr).toBe(0);
    const yaml = parseYaml(await readFile(path.join(out, "sra_mcts_lora_sft.yaml"), "utf8")) as Record<
      string,
      unknown
    >;
    const keys = loadTrainKeys();
    expect(Object.keys(yaml).filter((k) => !keys.has(k))).toEqual([]);
    expect(loadTemplateNames()).toContain(yaml.template);
    expect(yaml).toMatchObject({
      template: "gemma2",
      model_name_or_path: "google/gemma-2-2b-it",
      dataset: "sra_mcts",
      dataset_dir: out,
      finetuning_type: "lora",
    });
    const info = JSON.parse(await readFile(path.join(out, "dataset_info.json"), "utf8")) as Record<
      string,
      { file_name: string; columns: Record<string, string> }
    >;
    expect(info.sra_mcts?.file_name).toBe("sra_mcts.json");
    const rows = JSON.parse(await readFile(path.join(out, "sra_mcts.json"), "utf8")) as Record<
      string,
      string
    >[];
    expect(rows).toHaveLength(N);
    const columns = info.sra_mcts!.columns;
    for (const row of rows) {
      // Every mapped column exists in every row; the response is the plan, then the code.
      for (const col of Object.values(columns)) expect(row).toHaveProperty(col);
      expect(row[columns.response!]).toMatch(/^Step 1: [\s\S]*```python\n[\s\S]*```$/);
    }

    // The ablation: code-only answers, a second entry in the same dataset_info.json.
    const ab = await runCli(exportArgs("llamafactory", mcts, out, ["--no-plan"]));
    expect(ab.code, ab.stderr).toBe(0);
    const info2 = JSON.parse(await readFile(path.join(out, "dataset_info.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(Object.keys(info2).sort()).toEqual(["sra_mcts", "sra_mcts_noplan"]);
    const noPlan = JSON.parse(await readFile(path.join(out, "sra_mcts_noplan.json"), "utf8")) as Record<
      string,
      string
    >[];
    expect(noPlan.every((r) => /^```python\n/.test(r.output ?? "") && !/Step 1:/.test(r.output ?? ""))).toBe(
      true,
    );

    // Stats: both runs side by side.
    const st = await runCli(["stats", mcts, cot]);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toContain(mcts);
    expect(st.stdout).toContain(cot);
    expect(st.stdout).toMatch(/reached <end>/);
    const json = await runCli(["stats", mcts, "--json"]);
    expect(json.code).toBe(0);
    expect(() => JSON.parse(json.stdout)).not.toThrow();
  });
});
