/** `sra models` through the built CLI (npm run build first). */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { formatTable } from "../src/commands/models.js";
import { importEngine } from "../src/llm/llama-cpp/load-engine.js";
import { resolveGguf } from "../src/llm/llama-cpp/model-file.js";
import { runCli } from "./support/cli.js";
import { startFakeHuggingFace } from "./support/fake-hugging-face.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { tinyGguf } from "./support/tiny-gguf.js";

const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

let emptyCache: string;
beforeAll(async () => {
  emptyCache = await mkdtemp(path.join(tmpdir(), "sra-models-cache-"));
});
afterAll(async () => {
  await rm(emptyCache, { recursive: true, force: true });
});

describe("sra models", () => {
  it("prints every preset as a table, with its GGUF source and whether it is cached", async () => {
    const r = await runCli(["models"], { env: { SRA_CACHE_DIR: emptyCache } });
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(
      /^NAME\s+SERVED MODEL\s+SYSTEM ROLE\s+TEMPLATE\s+CONTEXT\s+TEMPERATURE\s+TOP-P\s+GGUF \(IN PROCESS\)\s+CACHED$/,
    );
    const gemma = lines.find((l) => l.startsWith("gemma-2-2b "));
    expect(gemma?.split(/\s{2,}/)).toEqual([
      "gemma-2-2b",
      "google/gemma-2-2b-it",
      "no",
      "gemma2",
      "8192",
      "0.7",
      "0.95",
      "bartowski/gemma-2-2b-it-GGUF:Q4_K_M",
      "no",
    ]);
    const qwen = lines.find((l) => l.startsWith("qwen2.5-14b "));
    expect(qwen?.split(/\s{2,}/)).toEqual([
      "qwen2.5-14b",
      "Qwen/Qwen2.5-14B-Instruct",
      "yes",
      "qwen",
      "32768",
      "0.7",
      "0.8",
      "bartowski/Qwen2.5-14B-Instruct-GGUF:Q4_K_M",
      "no",
    ]);
    expect(r.stdout).toContain(
      `downloads once into ${path.join(emptyCache, "models")}; CACHED: whether it is there.`,
    );
    expect(r.stdout).toContain("llama-3.1-8b");
    expect(r.stdout).toContain("llama-3-70b");
  });

  it("--json prints the presets as data", async () => {
    const r = await runCli(["models", "--json"]);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as {
      presets: { name: string; systemRole: boolean; template: string }[];
    };
    expect(data.presets.map((p) => p.name)).toEqual([
      "gemma-2-2b",
      "llama-3.1-8b",
      "qwen2.5-14b",
      "llama-3-70b",
      "qwen2.5-0.5b",
      "qwen2.5-1.5b",
    ]);
    expect(data.presets.find((p) => p.name === "gemma-2-2b")).toMatchObject({
      systemRole: false,
      template: "gemma2",
    });
  });

  it("--base-url also lists what the server serves, and marks the presets it serves", async () => {
    const s = await startFakeOpenAiServer({
      script: () => "ok",
      models: ["google/gemma-2-2b-it", "my-finetune"],
      apiKey: "models-key",
    });
    servers.push(s);
    const r = await runCli(["models", "--base-url", s.url, "--api-key-env", "MY_KEY"], {
      env: { MY_KEY: "models-key" },
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/ON SERVER$/);
    expect(r.stdout).toMatch(/^gemma-2-2b .*yes$/m);
    expect(r.stdout).toMatch(/^qwen2.5-14b .*no$/m);
    expect(r.stdout).toContain(`${s.url} serves:\n  google/gemma-2-2b-it\n  my-finetune`);

    const json = await runCli(["models", "--json", "--base-url", s.url, "--api-key-env", "MY_KEY"], {
      env: { MY_KEY: "models-key" },
    });
    expect(JSON.parse(json.stdout).server).toEqual({
      url: s.url,
      models: ["google/gemma-2-2b-it", "my-finetune"],
    });
  });

  it("exits 1 with a clear message when the server is not there", async () => {
    const s = await startFakeOpenAiServer({ script: () => "ok" });
    const url = s.url;
    await s.close();
    const r = await runCli(["models", "--base-url", url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`sra: cannot reach ${url}`);
    expect(r.stderr).toContain("is the server running?");
  });

  it("exits 1 when the key is rejected, without printing the key", async () => {
    const s = await startFakeOpenAiServer({ script: () => "ok", apiKey: "right" });
    servers.push(s);
    const r = await runCli(["models", "--base-url", s.url], { env: { OPENAI_API_KEY: "wrong-secret-key" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("server rejected the API key");
    expect(r.stderr + r.stdout).not.toContain("wrong-secret-key");
  });

  it("exits 2 on a bad --timeout", async () => {
    const r = await runCli(["models", "--timeout", "-3"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--timeout must be a number/);
  });

  it("reads another presets file, and reports a broken one with its path", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sra-models-"));
    try {
      const good = path.join(dir, "good.json");
      await writeFile(
        good,
        JSON.stringify({
          tiny: {
            servedModel: "tiny-served",
            hfId: "org/tiny",
            systemRole: true,
            template: "default",
            contextLength: 2048,
            sampling: { temperature: 1, topP: 1 },
          },
        }),
      );
      const r = await runCli(["models", "--presets", good]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^tiny\s+tiny-served\s+yes\s+default\s+2048\s+1\s+1\s+-\s+-$/m);
      const bad = path.join(dir, "bad.json");
      await writeFile(bad, JSON.stringify({ tiny: { servedModel: "" } }));
      const r2 = await runCli(["models", "--presets", bad]);
      expect(r2.code).toBe(2);
      expect(r2.stderr).toContain(bad);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("sra models: the in-process engine's files", () => {
  it("a downloaded preset's GGUF shows as cached, with its size, in the table and in --json", async () => {
    const cache = await mkdtemp(path.join(tmpdir(), "sra-models-cached-"));
    const source = { repo: "sra-test/Cached-Model-GGUF", quant: "Q4_K_M" };
    const hf = await startFakeHuggingFace({ model: await tinyGguf(), ...source });
    try {
      // Fill the cache the way a run does: node-llama-cpp's resolver, downloading from "Hugging Face".
      const file = await resolveGguf(await importEngine(), {
        model: { name: "cached", gguf: source },
        modelsDir: path.join(cache, "models"),
        huggingFaceEndpoint: hf.url,
      });
      const presets = path.join(cache, "presets.json");
      const preset = (gguf: object) => ({
        servedModel: "m",
        hfId: "org/m",
        systemRole: true,
        template: "qwen",
        contextLength: 4096,
        gguf,
        sampling: { temperature: 0.7, topP: 0.8 },
      });
      await writeFile(
        presets,
        JSON.stringify({
          cached: preset(source),
          "not-cached": preset({ repo: "sra-test/Other-GGUF", quant: "Q8_0" }),
        }),
      );
      const env = { SRA_CACHE_DIR: cache };
      const r = await runCli(["models", "--presets", presets], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^cached\s.*\ssra-test\/Cached-Model-GGUF:Q4_K_M\s+yes \(25\.5 MB\)$/m);
      expect(r.stdout).toMatch(/^not-cached\s.*\ssra-test\/Other-GGUF:Q8_0\s+no$/m);
      const json = JSON.parse((await runCli(["models", "--presets", presets, "--json"], { env })).stdout) as {
        modelsDir: string;
        presets: { name: string; gguf?: string; cached?: boolean; file?: object }[];
      };
      expect(json.modelsDir).toBe(path.join(cache, "models"));
      expect(json.presets).toMatchObject([
        {
          name: "cached",
          gguf: "hf:sra-test/Cached-Model-GGUF:Q4_K_M",
          cached: true,
          file: { path: file.path, bytes: file.bytes },
        },
        { name: "not-cached", gguf: "hf:sra-test/Other-GGUF:Q8_0", cached: false },
      ]);
    } finally {
      await hf.close();
      await rm(cache, { recursive: true, force: true });
    }
  });
});

describe("formatTable", () => {
  it("pads columns to the widest cell", () => {
    expect(
      formatTable(
        ["A", "LONG"],
        [
          ["xxx", "1"],
          ["y", "22"],
        ],
      ),
    ).toBe("A    LONG\nxxx  1\ny    22");
  });
});
