/** `exportDataset` on fixture runs: files, determinism, merging, skips, warnings, model choice. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { InputError, OutputError, UsageError } from "../src/errors.js";
import { type ExportOptions, exportDataset } from "../src/export/export-dataset.js";
import { CODE_INSTRUCTIONS, PLAN_INSTRUCTIONS } from "../src/export/instructions.js";
import type { Sample } from "../src/types.js";
import { makeConfig, makeSample, standardRun, writeRunFixture } from "./support/run-fixture.js";

let tmp: string;
let run: string;

/** Ten samples: two without code, one very long one, one duplicate id. */
function exportSamples(): Sample[] {
  const samples = Array.from({ length: 7 }, (_, i) => makeSample({ id: `q${i}` }));
  samples.push(makeSample({ id: "empty1", code: "" }));
  samples.push(makeSample({ id: "empty2", code: "   \n" }));
  samples.push(
    makeSample({ id: "long", code: `def f():\n${"    x = compute_something_long(1, 2, 3)\n".repeat(400)}` }),
  );
  samples.push(makeSample({ id: "q0", code: "def dup():\n    pass" }));
  return samples;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "sra-export-"));
  run = await writeRunFixture(path.join(tmp, "run"), {
    config: makeConfig(),
    samples: exportSamples(),
    tornTail: ["samples"],
  });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function exportTo(out: string, extra: Partial<ExportOptions> = {}) {
  const report = await exportDataset({
    format: "llamafactory",
    input: run,
    out: path.join(tmp, out),
    ...extra,
  });
  return report;
}

const readJson = async (file: string) => JSON.parse(await readFile(file, "utf8")) as unknown;

describe("llamafactory export of a run", () => {
  it("writes the dataset, dataset_info.json and the LoRA yaml; skips and warns", async () => {
    const r = await exportTo("lf");
    const out = path.join(tmp, "lf");
    expect(r.files).toEqual({
      dataset: path.join(out, "sra_mcts.json"),
      config: path.join(out, "sra_mcts_lora_sft.yaml"),
      datasetInfo: path.join(out, "dataset_info.json"),
    });
    expect(r.read).toBe(11); // the torn last line is not a record
    expect(r.written).toBe(8);
    expect(r.skipped).toEqual({ noCode: 2, noPlan: 0, duplicate: 1 });
    expect(r.overLength.count).toBe(1);
    expect(r.overLength.ids).toEqual(["long"]);
    expect(r.overLength.maxTokens).toBeGreaterThan(2048);

    const records = (await readJson(r.files.dataset)) as {
      id: string;
      instruction: string;
      input: string;
      output: string;
    }[];
    expect(records.map((x) => x.id)).toEqual(["q0", "q1", "q2", "q3", "q4", "q5", "q6", "long"]);
    for (const rec of records) {
      expect(Object.keys(rec)).toEqual(["id", "instruction", "input", "output"]);
      expect(PLAN_INSTRUCTIONS).toContain(rec.instruction);
      expect(rec.input).toMatch(/^Question q\d|^Question long/);
      expect(rec.output).toMatch(
        /^Step 1: Read the list\.\nStep 2: Add the numbers up\.\nStep 3: Return the total\.\n\n```python\ndef /,
      );
      expect(rec.output.endsWith("\n```")).toBe(true);
    }
    // The first q0 is kept, not the duplicate.
    expect(records[0]!.output).toContain("return sum(xs)");

    const info = await readJson(r.files.datasetInfo!);
    expect(info).toEqual({
      sra_mcts: {
        file_name: "sra_mcts.json",
        formatting: "alpaca",
        columns: { prompt: "instruction", query: "input", response: "output" },
      },
    });
    const yaml = await readFile(r.files.config!, "utf8");
    expect(yaml).toMatch(/^# Train with: llamafactory-cli train .*sra_mcts_lora_sft\.yaml$/m);
    expect(parse(yaml)).toMatchObject({
      model_name_or_path: "meta-llama/Llama-3.1-8B-Instruct",
      template: "llama3",
      dataset: "sra_mcts",
      dataset_dir: out,
      cutoff_len: 2048,
      lora_rank: 8,
      num_train_epochs: 3,
      learning_rate: 1e-4,
      output_dir: "saves/llama-3.1-8b/lora/sra_mcts",
      seed: 0,
    });
    expect(path.isAbsolute((parse(yaml) as { dataset_dir: string }).dataset_dir)).toBe(true);
    expect(r.baseModel).toMatchObject({
      name: "llama-3.1-8b",
      from: "run config",
      templateFrom: "run config",
    });
  });

  it("gives the same bytes for the same input and seed, other instructions for another seed", async () => {
    const a = await exportTo("det-a", { name: "d" });
    const b = await exportTo("det-b", { name: "d" });
    const c = await exportTo("det-c", { name: "d", seed: 1 });
    const bytes = async (r: typeof a) => readFile(r.files.dataset, "utf8");
    expect(await bytes(a)).toBe(await bytes(b));
    expect(await bytes(c)).not.toBe(await bytes(a));
    const again = await exportTo("det-a", { name: "d" });
    expect(await readFile(again.files.config!, "utf8")).toBe(await readFile(a.files.config!, "utf8"));
    expect(await readFile(again.files.datasetInfo!, "utf8")).toBe(
      await readFile(a.files.datasetInfo!, "utf8"),
    );
  });

  it("keeps the other dataset_info entries and replaces its own", async () => {
    const out = path.join(tmp, "merge");
    await exportTo("merge", { name: "sra_mcts_noplan", withPlan: false });
    const info0 = (await readJson(path.join(out, "dataset_info.json"))) as Record<string, unknown>;
    info0.identity = { file_name: "identity.json" };
    info0.sra_mcts = { file_name: "stale.json" };
    await writeFile(path.join(out, "dataset_info.json"), JSON.stringify(info0));
    await exportTo("merge", { name: "sra_mcts" });
    const info = (await readJson(path.join(out, "dataset_info.json"))) as Record<
      string,
      { file_name: string }
    >;
    expect(Object.keys(info)).toEqual(["sra_mcts_noplan", "identity", "sra_mcts"]);
    expect(info.identity).toEqual({ file_name: "identity.json" });
    expect(info.sra_mcts!.file_name).toBe("sra_mcts.json");
    expect(info.sra_mcts_noplan!.file_name).toBe("sra_mcts_noplan.json");
  });

  it.each([
    ["an array", "[]", /found an array/],
    ["not JSON", "{oops", /not valid JSON/],
  ])("refuses an existing dataset_info.json that is %s, writing nothing", async (_name, content, message) => {
    const out = path.join(tmp, `bad-info-${_name.replace(/\W/g, "")}`);
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, "dataset_info.json"), content);
    const err = await exportDataset({ format: "llamafactory", input: run, out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(path.join(out, "dataset_info.json"));
    await expect(readFile(path.join(out, "sra_mcts.json"))).rejects.toThrow();
  });

  it("writes code-only responses with code-only instructions for --no-plan", async () => {
    const r = await exportTo("noplan", { withPlan: false });
    expect(r.name).toBe("sra_mcts_noplan");
    const records = (await readJson(r.files.dataset)) as {
      id: string;
      instruction: string;
      input: string;
      output: string;
    }[];
    expect(records).toHaveLength(8);
    for (const rec of records) {
      expect(rec.output).toMatch(/^```python\ndef [\s\S]*\n```$/);
      expect(rec.output).not.toContain("Step 1");
      expect(CODE_INSTRUCTIONS).toContain(rec.instruction);
    }
  });

  it("distills into another base model: --base-model picks its preset's template", async () => {
    const r = await exportTo("distill", { baseModel: "gemma-2-2b" });
    expect(r.baseModel).toMatchObject({
      name: "gemma-2-2b",
      modelNameOrPath: "google/gemma-2-2b-it",
      template: "gemma2",
      from: "--base-model",
      templateFrom: "preset",
    });
    const cfg = parse(await readFile(r.files.config!, "utf8")) as Record<string, unknown>;
    expect(cfg).toMatchObject({
      model_name_or_path: "google/gemma-2-2b-it",
      template: "gemma2",
      output_dir: "saves/gemma-2-2b/lora/sra_mcts",
    });
  });

  it("accepts an HF id, guesses its template and says so; --template overrides", async () => {
    const guessed = await exportTo("hf", { baseModel: "Qwen/Qwen2.5-Coder-7B-Instruct" });
    expect(guessed.baseModel).toMatchObject({
      template: "qwen",
      known: false,
      templateFrom: "guessed from the name",
    });
    expect(guessed.warnings.join("\n")).toMatch(/guessed/);
    const forced = await exportTo("hf2", {
      baseModel: "my-org/custom",
      template: "chatml",
      outputDir: "saves/custom",
    });
    expect(forced.baseModel).toMatchObject({ template: "chatml", templateFrom: "--template" });
    expect(parse(await readFile(forced.files.config!, "utf8"))).toMatchObject({
      output_dir: "saves/custom",
      template: "chatml",
    });
  });

  it("refuses an unregistered template, naming close ones", async () => {
    const err = await exportTo("badtpl", { template: "llama-3" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(
      /"llama-3" is not a registered LLaMA-Factory template \(close: .*llama3/,
    );
  });

  it("writes the sharegpt style with alternating turns and complete tags", async () => {
    const r = await exportTo("sg", { style: "sharegpt", instructionSet: "none" });
    const records = (await readJson(r.files.dataset)) as {
      conversations: { from: string; value: string }[];
    }[];
    for (const rec of records) {
      expect(rec.conversations.map((t) => t.from)).toEqual(["human", "gpt"]);
      expect(rec.conversations[0]!.value).toMatch(/^Question /);
    }
    const info = (await readJson(r.files.datasetInfo!)) as Record<string, { tags: Record<string, string> }>;
    expect(Object.keys(info.sra_mcts!.tags)).toHaveLength(7);
  });

  it("reads instructions from a file", async () => {
    const file = path.join(tmp, "instructions.txt");
    await writeFile(file, "Solve it.\n\nExplain, then code.\n");
    const r = await exportTo("file-instr", { instructionSet: file });
    const records = (await readJson(r.files.dataset)) as {
      id: string;
      instruction: string;
      input: string;
      output: string;
    }[];
    for (const rec of records) expect(["Solve it.", "Explain, then code."]).toContain(rec.instruction);
    const missing = await exportTo("file-instr2", { instructionSet: path.join(tmp, "nope.txt") }).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(InputError);
  });
});

describe("other formats", () => {
  it.each([
    ["sharegpt", "sra_mcts.json"],
    ["openai", "sra_mcts.jsonl"],
    ["jsonl", "sra_mcts.jsonl"],
  ] as const)("--format %s writes %s only", async (format, file) => {
    const out = path.join(tmp, `fmt-${format}`);
    const r = await exportDataset({ format, input: run, out });
    expect(r.files).toEqual({ dataset: path.join(out, file) });
    const text = await readFile(r.files.dataset, "utf8");
    const records =
      format === "sharegpt"
        ? (JSON.parse(text) as unknown[])
        : text
            .trimEnd()
            .split("\n")
            .map((l) => JSON.parse(l) as unknown);
    expect(records).toHaveLength(8);
    if (format === "openai") {
      expect(records[0]).toEqual({
        messages: [
          { role: "user", content: expect.stringMatching(/\nQuestion q0/) },
          { role: "assistant", content: expect.stringMatching(/^Step 1:/) },
        ],
      });
    }
    if (format === "jsonl") expect(records[0]).toEqual(exportSamples()[0]);
    await expect(readFile(path.join(out, "dataset_info.json"))).rejects.toThrow();
  });

  it("reads a samples.jsonl file directly, using the config.json beside it", async () => {
    const r = await exportDataset({
      format: "llamafactory",
      input: path.join(run, "samples.jsonl"),
      out: path.join(tmp, "from-file"),
    });
    expect(r.inputKind).toBe("samples");
    expect(r.baseModel?.from).toBe("run config");
  });

  it.each(["name", "preset"] as const)(
    "reads the run's model from config.json model.%s",
    async (presetKey) => {
      const dir = await writeRunFixture(path.join(tmp, `cfg-${presetKey}`), {
        config: makeConfig({
          preset: "qwen2.5-14b",
          servedModel: "Qwen/Qwen2.5-14B-Instruct",
          template: "qwen",
          presetKey,
        }),
        samples: [makeSample({ id: "a" })],
      });
      const r = await exportDataset({
        format: "llamafactory",
        input: dir,
        out: path.join(tmp, `cfg-${presetKey}-out`),
      });
      expect(r.baseModel).toMatchObject({
        name: "qwen2.5-14b",
        modelNameOrPath: "Qwen/Qwen2.5-14B-Instruct",
        from: "run config",
      });
    },
  );

  it("falls back to the samples' model without a config.json", async () => {
    const dir = await writeRunFixture(path.join(tmp, "no-config"), {
      config: null,
      samples: [makeSample({ id: "a", model: "google/gemma-2-2b-it" })],
    });
    const r = await exportDataset({
      format: "llamafactory",
      input: dir,
      out: path.join(tmp, "no-config-out"),
    });
    expect(r.baseModel).toMatchObject({ name: "gemma-2-2b", from: "samples", template: "gemma2" });
  });
});

describe("errors", () => {
  it.each([
    ["a missing input", { input: "/nonexistent/run" }, InputError, /\/nonexistent\/run: input not found/],
    ["a run dir without samples", { input: "EMPTY" }, InputError, /no samples\.jsonl/],
    ["--style with another format", { format: "openai", style: "sharegpt" }, UsageError, /--style/],
    ["a bad name", { name: "../x" }, UsageError, /--name/],
    ["--out that is a file", { out: "FILE" }, OutputError, /not a directory/],
  ] as const)("%s", async (_name, extra, cls, message) => {
    const empty = await writeRunFixture(path.join(tmp, "empty-run"), {});
    const file = path.join(tmp, "a-file");
    await writeFile(file, "x");
    const opts = {
      format: "llamafactory",
      input: run,
      out: path.join(tmp, "err-out"),
      ...extra,
    } as ExportOptions;
    if (opts.input === "EMPTY") opts.input = empty;
    if (opts.out === "FILE") opts.out = file;
    const err = await exportDataset(opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as Error).message).toMatch(message);
  });

  it("refuses to write an empty dataset", async () => {
    const dir = await writeRunFixture(path.join(tmp, "all-empty"), {
      samples: [makeSample({ id: "a", code: "" })],
    });
    const err = await exportDataset({
      format: "openai",
      input: dir,
      out: path.join(tmp, "all-empty-out"),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/nothing to export: all 1 records were skipped \(1 without code/);
  });

  it("reads the standard stats fixture too (extra files are ignored)", async () => {
    const dir = await writeRunFixture(path.join(tmp, "std"), standardRun());
    const r = await exportDataset({ format: "llamafactory", input: dir, out: path.join(tmp, "std-out") });
    expect(r.written).toBe(2);
  });
});
