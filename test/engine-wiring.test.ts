/**
 * The pure parts that put the in-process engine into the commands: the engine rule, the cache's
 * folders, failure kinds of engine errors, the download's progress lines, the start-up banner and
 * the summary's engine line.
 */
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { LlmError } from "../src/errors.js";
import { downloadProgressPrinter } from "../src/llm/llama-cpp/download-progress.js";
import { chooseEngine, type EngineName } from "../src/llm/llm-settings.js";
import { formatBanner } from "../src/run/banner.js";
import type { RunConfig } from "../src/run/config.js";
import { failureHint, failureKind } from "../src/run/failures.js";
import { buildSummary, createRunCounters, formatRunSummary } from "../src/run/summary.js";
import { cacheDir, cacheRoot, datasetCacheDirs } from "../src/util/cache-dir.js";

describe("the engine rule", () => {
  it.each<[EngineName | undefined, string[], EngineName]>([
    [undefined, [], "llama-cpp"],
    [undefined, ["http://gpu:8000/v1"], "openai"],
    [undefined, ["http://a/v1", "http://b/v1"], "openai"],
    ["llama-cpp", ["http://gpu:8000/v1"], "llama-cpp"],
    ["openai", [], "openai"],
    ["openai", ["http://gpu:8000/v1"], "openai"],
  ])("explicit %s, base URLs %j: %s", (explicit, baseUrls, engine) => {
    expect(chooseEngine({ explicit, baseUrls })).toBe(engine);
  });
});

describe("one cache root, a folder per kind", () => {
  const home = path.join(os.homedir(), ".cache", "sra");
  it.each<[NodeJS.ProcessEnv, string | undefined, string]>([
    [{}, undefined, home],
    [{ XDG_CACHE_HOME: "/x" }, undefined, "/x/sra"],
    [{ SRA_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x" }, undefined, "/c"],
    [{ SRA_CACHE_DIR: "/c" }, "/flag", "/flag"],
    [{ SRA_CACHE_DIR: "" }, "", home],
  ])("env %j, --cache-dir %j: %s", (env, flag, root) => {
    expect(cacheRoot(env, flag)).toBe(root);
    expect(cacheDir("models", env, flag)).toBe(path.join(root, "models"));
    expect(cacheDir("expected", env, flag)).toBe(path.join(root, "expected"));
    // Datasets: the new folder first (downloads go there), then the root, where they lived before.
    expect(datasetCacheDirs(env, flag)).toEqual([path.join(root, "datasets"), root]);
  });
});

describe("failures of the in-process engine", () => {
  it.each<[LlmError, string, RegExp]>([
    [
      new LlmError("llama.cpp: the evaluate prompt is 5000 tokens, longer than the context of 4096 tokens", {
        fault: "request",
        isRetryable: false,
        hint: "raise the context size",
      }),
      "llm-request",
      /^raise the context size$/,
    ],
    [
      new LlmError("a regex it cannot constrain", { fault: "request", isRetryable: false }),
      "llm-request",
      /--retry-failures/,
    ],
    [
      new LlmError("llama.cpp failed to decode: x", { fault: "engine", isRetryable: false }),
      "engine",
      /generate\.log.*--parallel/,
    ],
    [
      new LlmError("llama.cpp: no complete reply within 10 ms (timed out)", { fault: "timeout" }),
      "timeout",
      /--timeout/,
    ],
  ])("%s -> %s", (error, kind, hint) => {
    expect(failureKind(error)).toBe(kind);
    expect(failureHint(kind, error)).toMatch(hint);
  });
});

describe("a model download's progress on stderr", () => {
  const progress = (done: number) => ({
    uri: "hf:o/r:Q4_K_M",
    downloadedBytes: done * 1e6,
    totalBytes: 100e6,
  });

  it("elsewhere than a terminal: a line at each 10% (and every 10 s), the last at 100%", () => {
    const lines: string[] = [];
    let t = 0;
    const p = downloadProgressPrinter({ write: (s) => lines.push(s) }, () => t);
    for (let done = 0; done <= 100; done += 1) {
      t += 50;
      p.onProgress(progress(done));
    }
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe("sra: downloading hf:o/r:Q4_K_M: 0.0 MB / 100.0 MB (0%)\n");
    expect(lines.at(-1)).toBe("sra: downloading hf:o/r:Q4_K_M: 100.0 MB / 100.0 MB (100%)\n");
    // A stalled-looking download still says it is alive every 10 s.
    t += 10_000;
    const slow = downloadProgressPrinter({ write: (s) => lines.push(s) }, () => t);
    slow.onProgress(progress(1));
    t += 10_001;
    slow.onProgress(progress(2));
    expect(lines.slice(-2).map((l) => l.match(/\((\d+)%\)/)?.[1])).toEqual(["1", "2"]);
  });

  it("on a terminal: one line rewritten at most 4 times a second, ended when done or cut short", () => {
    const out: string[] = [];
    let t = 0;
    const p = downloadProgressPrinter({ write: (s) => out.push(s), isTTY: true }, () => t);
    p.onProgress(progress(1));
    t += 100;
    p.onProgress(progress(2)); // too soon
    t += 200;
    p.onProgress(progress(3));
    expect(out).toEqual([
      "\rsra: downloading hf:o/r:Q4_K_M: 1.0 MB / 100.0 MB (1%)\u001b[K",
      "\rsra: downloading hf:o/r:Q4_K_M: 3.0 MB / 100.0 MB (3%)\u001b[K",
    ]);
    p.end(); // the download failed: the error must start on a line of its own
    expect(out.at(-1)).toBe("\n");
    p.end();
    expect(out).toHaveLength(3);
    p.onProgress(progress(100));
    expect(out.at(-1)?.endsWith("(100%)\u001b[K\n")).toBe(true);
  });
});

describe("the start-up banner and the summary, in process", () => {
  const config = {
    engine: "llama-cpp",
    model: { servedModel: "Qwen/Qwen2.5-0.5B-Instruct" },
    strategy: "mcts",
    stage: "all",
    input: { shard: null },
    run: { concurrency: 8 },
    server: { baseUrls: [], maxRequests: 64 },
    llamaCpp: { parallel: 4 },
  } as unknown as RunConfig;
  const counts = {
    inFile: 5,
    invalidSkipped: 0,
    duplicatesSkipped: 0,
    selected: 5,
    alreadyDone: 0,
    failedEarlier: 0,
    withoutPlan: 0,
    todo: 5,
  };
  const engine = {
    engine: "llama-cpp" as const,
    modelPath: "/c/models/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf",
    modelBytes: 397_808_192,
    modelName: "Qwen2.5 0.5B Instruct",
    chatWrapper: "ChatML",
    gpu: false as const,
    threads: 7,
    parallel: 4,
    contextSize: 4096,
    trainContextSize: 32768,
    origin: "cache" as const,
    uri: "hf:bartowski/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M",
  };

  it("says the model runs in process, on which file, of what size, and how", () => {
    expect(formatBanner("/runs/r", config, counts, engine)).toBe(
      "sra generate: 5 to do of 5 selected; 0 already done, 0 failed earlier\n" +
        "  model Qwen/Qwen2.5-0.5B-Instruct on the in-process engine (no server; --base-url URL to use one); mcts, stage all; concurrency 8\n" +
        "  model /c/models/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf (398 MB, cached) in process: llama.cpp on the CPU, 7 threads, 4 sequences x 4096 tokens, chat template ChatML\n" +
        "  run dir /runs/r\n",
    );
  });

  it("summary.json's llm block has the engine; the summary says what its cache and grammar did", () => {
    const stats = {
      calls: 100,
      attempts: 100,
      retries: 0,
      failures: 0,
      promptTokens: 40_000,
      completionTokens: 3000,
      estimatedUsageCalls: 0,
      inFlight: 0,
      queued: 0,
      cap: 4,
      maxInFlight: 4,
      capDecreases: 0,
      capIncreases: 0,
      waitingForServer: false,
      outages: 0,
      outageMs: 0,
      endpoints: [],
      engine: {
        requests: 100,
        failures: 0,
        active: 0,
        maxActive: 4,
        queued: 0,
        promptTokens: 40_000,
        reusedPromptTokens: 26_000,
        completionTokens: 3000,
        grammarConstrained: 40,
      },
    };
    const summary = buildSummary({
      runDir: "/runs/r",
      model: "Qwen/Qwen2.5-0.5B-Instruct",
      strategy: "mcts",
      stage: "all",
      shard: null,
      limit: null,
      startedAt: 0,
      finishedAt: 60_000,
      stopCause: "completed",
      problems: counts,
      counters: createRunCounters(),
      totals: { samples: 0, plans: 0, failures: 0 } as never,
      llm: stats,
      engine,
    });
    expect(summary.llm?.engine).toEqual({
      ...engine,
      requests: 100,
      maxActive: 4,
      promptTokens: 40_000,
      reusedPromptTokens: 26_000,
      grammarConstrained: 40,
    });
    expect(formatRunSummary(summary)).toContain(
      "\n  engine: llama.cpp in process, 4 of 4 sequences busy at most; 65% of prompt tokens reused from a sequence's cache; 40 grammar-constrained replies\n",
    );
    // A server's summary has no engine block.
    const { engine: _e, ...serverStats } = stats;
    const onServer = buildSummary({
      ...summaryInput(summary),
      llm: serverStats,
      engine: { engine: "openai", endpoints: ["http://a/v1"] },
    });
    expect(onServer.llm).not.toHaveProperty("engine");
  });

  function summaryInput(s: ReturnType<typeof buildSummary>) {
    return {
      runDir: s.runDir,
      model: s.model,
      strategy: s.strategy,
      stage: s.stage,
      shard: null,
      limit: null,
      startedAt: 0,
      finishedAt: 1000,
      stopCause: "completed" as const,
      problems: counts,
      counters: createRunCounters(),
      totals: s.totals,
    };
  }
});
