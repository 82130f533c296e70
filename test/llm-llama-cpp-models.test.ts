/**
 * Which GGUF file the in-process engine loads: --gguf, the cache, or a download through
 * node-llama-cpp's own resolver from a Hugging Face endpoint (here a loopback stand-in serving the
 * tiny test model), and the one-line errors when none can be had. Also: a missing engine.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EngineError,
  EngineMissingError,
  InputError,
  ModelDownloadError,
  UsageError,
} from "../src/errors.js";
import { createLlamaCppLlm } from "../src/llm/llama-cpp/llama-cpp-llm.js";
import { importEngine, type NodeLlamaCppModule } from "../src/llm/llama-cpp/load-engine.js";
import {
  type DownloadProgress,
  findCachedModel,
  presetModelFiles,
  resolveGguf,
} from "../src/llm/llama-cpp/model-file.js";
import { closedPort } from "./support/closed-port.js";
import { startFakeHuggingFace } from "./support/fake-hugging-face.js";
import { tinyGguf } from "./support/tiny-gguf.js";

const SOURCE = { repo: "sra-test/Tiny-Model-GGUF", quant: "Q4_K_M" };
const MODEL = { name: "tiny", gguf: SOURCE };

let engine: NodeLlamaCppModule;
let dir: string;
let modelPath: string;

beforeAll(async () => {
  engine = await importEngine();
  modelPath = await tinyGguf();
  dir = await mkdtemp(path.join(os.tmpdir(), "sra-models-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("--gguf PATH", () => {
  it("is used as it is", async () => {
    const file = await resolveGguf(engine, { localPath: modelPath, model: MODEL, modelsDir: dir });
    expect(file).toMatchObject({ path: modelPath, origin: "local" });
    expect(file.bytes).toBeGreaterThan(1e6);
  });

  it.each([
    ["missing.gguf", null, "GGUF model file not found"],
    ["notes.txt", "just text", "not a GGUF model file"],
  ])("%s: an input error naming the file and the flag", async (name, content, message) => {
    const file = path.join(dir, name);
    if (content !== null) await writeFile(file, content);
    const e = await resolveGguf(engine, { localPath: file, model: MODEL, modelsDir: dir }).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toBe(
      `${file} (field "--gguf"): ${message}${content === null ? "" : " (it does not start with GGUF)"}`,
    );
  });
});

describe("a preset's GGUF source", () => {
  it("a model without one is a usage error naming both ways out", async () => {
    const e = await resolveGguf(engine, { model: { name: "my-model" }, modelsDir: dir }).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toContain('model "my-model" has no GGUF source');
    expect((e as Error).message).toMatch(/--gguf PATH.*--base-url URL/);
  });

  it("is downloaded once, with progress, by node-llama-cpp's resolver, then used from the cache", async () => {
    const hf = await startFakeHuggingFace({ model: modelPath, ...SOURCE, file: "tiny-model-q4_k_m.gguf" });
    const modelsDir = path.join(dir, "cache-a");
    try {
      const progress: DownloadProgress[] = [];
      const got = await resolveGguf(engine, {
        model: MODEL,
        modelsDir,
        huggingFaceEndpoint: hf.url,
        onProgress: (p) => progress.push(p),
      });
      expect(got).toMatchObject({ origin: "download", uri: "hf:sra-test/Tiny-Model-GGUF:Q4_K_M" });
      expect(path.dirname(got.path)).toBe(modelsDir);
      const last = progress.at(-1);
      expect(last?.downloadedBytes).toBe(got.bytes);
      expect(last?.totalBytes).toBe(got.bytes);
      expect(await findCachedModel(engine, SOURCE, modelsDir)).toBe(got.path);
      const presets = [
        MODEL,
        { name: "other", gguf: { repo: "a/B-GGUF", quant: "Q8_0" } },
        { name: "no-source" },
      ];
      expect(await presetModelFiles(presets, { modelsDir, engine })).toEqual([
        {
          preset: "tiny",
          uri: "hf:sra-test/Tiny-Model-GGUF:Q4_K_M",
          cached: true,
          path: got.path,
          bytes: got.bytes,
        },
        { preset: "other", uri: "hf:a/B-GGUF:Q8_0", cached: false },
        { preset: "no-source", uri: undefined, cached: undefined },
      ]);
      expect((await presetModelFiles(presets, { modelsDir, engine: undefined }))[0]?.cached).toBeUndefined();

      const asked = hf.requests.length;
      const again = await resolveGguf(engine, { model: MODEL, modelsDir, huggingFaceEndpoint: hf.url });
      expect(again).toMatchObject({ origin: "cache", path: got.path, bytes: got.bytes });
      expect(hf.requests.length).toBe(asked);
    } finally {
      await hf.close();
    }
  });

  it("offline with nothing cached: one line naming what could not be downloaded and the two ways out", async () => {
    const modelsDir = path.join(dir, "cache-offline");
    expect(await findCachedModel(engine, SOURCE, modelsDir)).toBeUndefined();
    const endpoint = `http://127.0.0.1:${await closedPort()}/`;
    const e = await resolveGguf(engine, { model: MODEL, modelsDir, huggingFaceEndpoint: endpoint }).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ModelDownloadError);
    const message = (e as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toMatch(
      /^cannot download the model for "tiny" \(hf:sra-test\/Tiny-Model-GGUF:Q4_K_M\) into .*cache-offline: cannot fetch the repo's file list \(fetch failed\); use a local file with --gguf PATH, or a server with --base-url URL$/,
    );
  });

  it("a download that receives nothing is given up after the stall time", async () => {
    const sockets = new Set<import("node:net").Socket>();
    const silent: Server = createServer(() => undefined); // accepts, never answers
    silent.on("connection", (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const { port } = silent.address() as AddressInfo;
    try {
      const e = await resolveGguf(engine, {
        model: MODEL,
        modelsDir: path.join(dir, "cache-stall"),
        huggingFaceEndpoint: `http://127.0.0.1:${port}/`,
        stallMs: 300,
      }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ModelDownloadError);
      expect((e as Error).message).toMatch(/: no data for 300 ms; use a local file with --gguf PATH/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe("loading the model", () => {
  it.each([
    ["missing.gguf", null, /^cannot read the model file .*missing\.gguf: ENOENT/],
    ["broken.gguf", "GGUF and then nothing a model needs", /^cannot load the model .*broken\.gguf: /],
  ])("%s: an EngineError with the file named", async (name, content, message) => {
    const file = path.join(dir, `load-${name}`);
    if (content !== null) await writeFile(file, content);
    const e = await createLlamaCppLlm({ modelPath: file, systemRole: true, gpu: false, engine }).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(EngineError);
    expect((e as Error).message).toMatch(message);
  });
});

describe("the engine package", () => {
  it("missing: an EngineMissingError with the command that installs the pinned version", async () => {
    const e = await importEngine("node-llama-cpp-not-installed").catch((err: unknown) => err);
    expect(e).toBeInstanceOf(EngineMissingError);
    expect((e as Error).message).toMatch(
      /^the in-process engine needs node-llama-cpp, which is not installed: run `npm install --no-save node-llama-cpp@3\.21\.1` in \//,
    );
    expect((e as EngineMissingError).hint).toContain("--base-url");
  });
});
