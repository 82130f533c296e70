/** `sra export` through the built binary: exit codes, messages, files. Build first (npm run build). */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guessTemplate } from "../src/llm/presets.js";
import { DATASETS, exportArgs, runCli } from "./support/cli.js";
import { makeConfig, makeSample, writeRunFixture } from "./support/run-fixture.js";

let tmp: string;
let run: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "sra-export-cli-"));
  run = await writeRunFixture(path.join(tmp, "run"), {
    config: makeConfig({ preset: "llama-3-70b", servedModel: "meta-llama/Meta-Llama-3-70B-Instruct" }),
    samples: [makeSample({ id: "a" }), makeSample({ id: "b" }), makeSample({ id: "c", code: "" })],
  });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** `sra export --format F --input I --out O ...extra` through the real CLI. */
function exportCli(format: string, input: string, out: string, extra: string[] = []) {
  return runCli(exportArgs(format, input, out, extra));
}

describe("sra export (CLI)", () => {
  it("exports for LLaMA-Factory, distilling into another base model, and says what it did on stderr", async () => {
    const out = path.join(tmp, "out");
    const r = await exportCli("llamafactory", run, out, [
      "--base-model",
      "gemma-2-2b",
      "--lr",
      "2e-5",
      "--epochs",
      "2",
    ]);
    expect(r.stderr).toMatch(
      /^sra export: wrote 2 of 3 records to .*sra_mcts\.json \(llamafactory alpaca, plan \+ code, instructions: default\)$/m,
    );
    expect(r.stderr).toMatch(/^ {2}skipped: 1 without code$/m);
    expect(r.stderr).toMatch(
      /model: google\/gemma-2-2b-it \(preset gemma-2-2b\), from --base-model; template gemma2 \(preset\)/,
    );
    expect(r.stderr).toContain(`train: llamafactory-cli train ${path.join(out, "sra_mcts_lora_sft.yaml")}`);
    expect(r.stdout).toBe("");
    expect(r.code).toBe(0);
    const yaml = await readFile(path.join(out, "sra_mcts_lora_sft.yaml"), "utf8");
    expect(yaml).toMatch(/^learning_rate: 0\.00002$/m);
    expect(yaml).toMatch(/^num_train_epochs: 2\.0$/m);
    expect(yaml).toMatch(/^template: gemma2$/m);
  });

  it.each<[string, string, RegExp]>([
    [
      "no known chat template",
      "my-org/house-coder",
      /warning: my-org\/house-coder has no known chat template, so the LoRA config uses LLaMA-Factory's generic "default", .*pass --template/,
    ],
    [
      "a template guessed from its name",
      "my-org/qwen-house",
      /warning: my-org\/qwen-house is not a preset: template "qwen" was guessed from its name; pass --template/,
    ],
  ])("warns when the run's model has %s, naming --template", async (_what, model, warning) => {
    // What generate saves for a model that is not a preset: its name as the served model, a guessed template.
    const config = makeConfig({ preset: model, servedModel: model, template: guessTemplate(model) });
    (config.model as { known: boolean }).known = false;
    const dir = await writeRunFixture(path.join(tmp, `unknown-${model.replace(/\W/g, "-")}`), {
      config,
      samples: [makeSample({ id: "a" })],
    });
    const r = await exportCli("llamafactory", dir, path.join(dir, "export"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(warning);
    // With --template the choice is the user's: no warning.
    const chosen = await exportCli("llamafactory", dir, path.join(dir, "export2"), ["--template", "chatml"]);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.stderr).not.toMatch(/warning/);
  });

  it("exports the code-only ablation next to it", async () => {
    const out = path.join(tmp, "out");
    const r = await exportCli("llamafactory", run, out, ["--no-plan", "--instruction-set", "none"]);
    expect(r.code).toBe(0);
    const info = JSON.parse(await readFile(path.join(out, "dataset_info.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(Object.keys(info)).toEqual(["sra_mcts", "sra_mcts_noplan"]);
    const rows = JSON.parse(await readFile(path.join(out, "sra_mcts_noplan.json"), "utf8")) as {
      instruction: string;
      input: string;
      output: string;
    }[];
    expect(rows[0]).toMatchObject({
      instruction: "Question a: return the sum of a list of integers.",
      input: "",
      output: "```python\ndef total(xs):\n    return sum(xs)\n```",
    });
  });

  it("exports a reference file", async () => {
    const out = path.join(tmp, "ref");
    const reference = path.join(DATASETS, "sra-mcts-reference", "mcts-piped-llama3.1-8B.json");
    const r = await exportCli("openai", reference, out, ["--name", "piped"]);
    expect(r.code).toBe(0);
    const lines = (await readFile(path.join(out, "piped.jsonl"), "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(1208);
  });

  it("exits 1 and names the path when the input is missing", async () => {
    const missing = path.join(tmp, "no-such-run");
    const r = await exportCli("jsonl", missing, path.join(tmp, "x"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`sra: ${missing}: input not found`);
  });

  it.each([
    [["--format", "xml"], /--format must be one of llamafactory, jsonl, sharegpt, openai/],
    [["--seed", "-1"], /--seed must be a whole number/],
    [["--lora-rank", "0"], /--lora-rank/],
    [["--lr", "0"], /--lr must be a number greater than 0/],
    [["--epochs", "abc"], /--epochs/],
    [["--cutoff-len", "1.5"], /--cutoff-len/],
    [["--style", "chatml"], /--style must be one of alpaca, sharegpt/],
    [["--name", "a/b"], /--name must be/],
    [["--log-level", "loud"], /--log-level/],
    [["--template", "llama-3"], /"llama-3" is not a registered LLaMA-Factory template \(close: .*llama3/],
    [["--input", "REFERENCE"], /cannot tell which model to fine-tune/],
    [["--frobnicate"], /unknown option/],
  ])("exits 2 on %j", async (extra, message) => {
    const ref = path.join(DATASETS, "sra-mcts-reference", "mcts-filtered-llama3.1-8B.json");
    const r = await exportCli(
      "llamafactory",
      run,
      path.join(tmp, "bad"),
      extra.map((a) => (a === "REFERENCE" ? ref : a)),
    );
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  it("exits 2 without the required flags", async () => {
    const r = await runCli(["export", "--format", "jsonl"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/required option '--input <path>'/);
  });

  it("states every flag's default in --help", async () => {
    const r = await runCli(["export", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of [
      "--name",
      "--base-model",
      "--template",
      "--style",
      "--no-plan",
      "--instruction-set",
      "--seed",
      "--lora-rank",
      "--epochs",
      "--lr",
      "--cutoff-len",
      "--output-dir",
      "--log-level",
    ]) {
      const start = r.stdout.search(new RegExp(`\\n  ${flag}\\b`));
      expect(start, flag).toBeGreaterThanOrEqual(0);
      expect(r.stdout.slice(start, r.stdout.indexOf("\n  -", start + 1))).toMatch(/\(default|\(required/);
    }
  });
});
