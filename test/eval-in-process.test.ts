/**
 * `sra eval` on the in-process engine, through the built CLI: a real llama.cpp on the tiny
 * random-weight GGUF that test/generate-in-process.test.ts uses (test/support/tiny-gguf.ts). Its
 * replies are random text, so every sample fails its tests; what is asserted is that eval runs a model
 * in process end to end (no server, no --model: the model is named after the file), writes the
 * folder, counts tokens with the tokenizer, records the engine and the model file in config.json, and
 * refuses a rerun with another model file.
 */
import { readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASETS, runCli } from "./support/cli.js";
import { readJsonlStrict } from "./support/jsonl-files.js";
import { tinyGguf } from "./support/tiny-gguf.js";

let tmp: string;
let model: string;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-eval-in-process-"));
  model = await tinyGguf({ vocab: "llama-spm" });
}, 60_000);

afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

function args(out: string, gguf: string): string[] {
  return [
    "eval",
    ...["--benchmarks", "humaneval-plus", "--limit", "2", "--n", "1", "--max-tokens", "16"],
    ...["--engine", "llama-cpp", "--gguf", gguf, "--gpu", "off", "--parallel", "2", "--threads", "1"],
    ...["--out", out, "--datasets-dir", DATASETS, "--cache-dir", path.join(tmp, "cache"), "--no-progress"],
  ];
}

describe("sra eval --engine llama-cpp --gguf FILE", () => {
  it("runs the model in process end to end and writes the folder; its random code fails", async () => {
    const out = path.join(tmp, "eval");
    // No server anywhere in the environment.
    const r = await runCli(args(out, model), { env: { OPENAI_BASE_URL: "" }, timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("in process (llama.cpp,");
    const dir = path.join(out, "humaneval-plus");
    expect(new Set(await fsp.readdir(dir))).toEqual(
      new Set(["config.json", "samples.jsonl", "results.jsonl", "summary.json", "eval.log"]),
    );
    const config = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"));
    expect(config.engine).toBe("llama-cpp");
    expect(config.model.name).toBe(path.basename(model).replace(/\.gguf$/, ""));
    expect(config.model.gguf).toEqual({ path: model, bytes: (await fsp.stat(model)).size });
    const samples = await readJsonlStrict(path.join(dir, "samples.jsonl"));
    // In the order they were answered (two sequences at once): sorted here.
    expect(samples.map((s) => [s.task_id, s.index]).sort()).toEqual([
      ["HumanEval/0", 0],
      ["HumanEval/1", 0],
    ]);
    // Counted by the tokenizer, capped by --max-tokens.
    for (const s of samples) expect(s.completion_tokens).toBeGreaterThan(0);
    for (const s of samples) expect(s.completion_tokens).toBeLessThanOrEqual(16);
    const summary = JSON.parse(readFileSync(path.join(dir, "summary.json"), "utf8"));
    expect(summary.samples).toBe(2);
    expect(summary.pass_at_k.base["1"]).toBe(0);
    expect(summary.pass_at_k.plus["1"]).toBe(0);
  }, 120_000);

  it("a rerun with another model file is refused, naming model.gguf", async () => {
    const out = path.join(tmp, "eval");
    const other = path.join(tmp, "other.gguf");
    await fsp.copyFile(model, other);
    await fsp.appendFile(other, Buffer.alloc(8));
    const r = await runCli(args(out, other), { env: { OPENAI_BASE_URL: "" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("model.gguf");
  }, 60_000);
});
