/**
 * The in-process engine's pure parts: guided regexes as GBNF grammars, the request queue in front
 * of the sequences, the thread default, model sources and cache paths, the presets' GGUF sources.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { formatBytes, formatEngineBanner } from "../src/llm/llama-cpp/banner.js";
import { DEFAULT_CONTEXT_SIZE, defaultThreads } from "../src/llm/llama-cpp/defaults.js";
import { defaultModelsDir, formatDownloadProgress, ggufUri } from "../src/llm/llama-cpp/model-file.js";
import { RegexToGbnfError, regexToGbnf } from "../src/llm/llama-cpp/regex-to-gbnf.js";
import { SlotPool } from "../src/llm/llama-cpp/slot-pool.js";
import { loadPresets } from "../src/llm/presets.js";
import { GUIDED_SCORE_REGEX } from "../src/search/params.js";

describe("regexToGbnf", () => {
  it.each([
    ["(10|[0-9])", 'root ::= ("10" | [0-9])'],
    ["Score: (10|[0-9])", 'root ::= "Score: " ("10" | [0-9])'],
    ["ab+c", 'root ::= "a" "b"+ "c"'],
    ["^a+b?$", 'root ::= "a"+ "b"?'],
    ["\\d{1,3}", "root ::= [0-9]{1,3}"],
    ["x{2,}y*?", 'root ::= "x"{2,} "y"*'],
    ["[^\\n]+", "root ::= [^\\n]+"],
    ["[a-z_\\-]", "root ::= [a-z_\\-]"],
    ["[-a]", "root ::= [\\-a]"],
    [".", "root ::= [^\\n]"],
    ['"\\.\\\\', 'root ::= "\\".\\\\"'],
    ["\\s\\S", "root ::= [ \\t\\n\\r\\x0b\\x0c] [^ \\t\\n\\r\\x0b\\x0c]"],
    ["(?:yes|no)", 'root ::= ("yes" | "no")'],
    ["\\x41\\u00e9", 'root ::= "Aé"'],
    ["a|", 'root ::= "a" | ""'],
    ["", 'root ::= ""'],
  ])("%j -> %s", (regex, gbnf) => {
    expect(regexToGbnf(regex)).toBe(gbnf);
  });

  it.each([
    ["(?=a)", "lookarounds"],
    ["(a)\\1", "backreference"],
    ["\\bword", "boundary"],
    ["a^b", "only accepted at the start or end"],
    ["*a", "nothing to repeat"],
    ["a{3,1}", "m < n"],
    ["a++", "possessive"],
    ["(ab", 'missing ")"'],
    ["[ab", 'missing "]"'],
    ["a{x}", "repetition"],
    ["\\", "lone backslash"],
  ])("refuses %j (%s), naming the regex and the position", (regex, what) => {
    expect(() => regexToGbnf(regex)).toThrow(RegexToGbnfError);
    expect(() => regexToGbnf(regex)).toThrow(what);
    expect(() => regexToGbnf(regex)).toThrow(JSON.stringify(regex));
  });

  it("translates the score regex the search sends", () => {
    expect(regexToGbnf(GUIDED_SCORE_REGEX)).toMatch(/^root ::= /);
  });
});

describe("SlotPool", () => {
  it("hands out free slots, then queues first come first served", async () => {
    const pool = new SlotPool(["a", "b"]);
    const got: string[] = [];
    const a = await pool.acquire();
    const b = await pool.acquire();
    const third = pool.acquire().then((s) => got.push(`third:${s}`));
    const fourth = pool.acquire().then((s) => got.push(`fourth:${s}`));
    expect([pool.busy, pool.queued]).toEqual([2, 2]);
    pool.release(b);
    pool.release(a);
    await Promise.all([third, fourth]);
    expect(got).toEqual(["third:b", "fourth:a"]);
    expect([pool.busy, pool.queued, pool.maxBusy]).toEqual([2, 0, 2]);
  });

  it("gives a request the free slot it scores highest (the first on a tie)", async () => {
    const pool = new SlotPool([
      { id: 1, prefix: 3 },
      { id: 2, prefix: 9 },
      { id: 3, prefix: 9 },
    ]);
    const best = await pool.acquire(undefined, (s) => s.prefix);
    expect(best.id).toBe(2);
    expect((await pool.acquire()).id).toBe(1);
  });

  it("a waiter whose signal aborts leaves the queue with the signal's reason", async () => {
    const pool = new SlotPool(["only"]);
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire(controller.signal);
    const after = pool.acquire();
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    expect(pool.queued).toBe(1);
    pool.release(held);
    await expect(after).resolves.toBe("only");
    await expect(pool.acquire(controller.signal)).rejects.toThrow("stop");
  });

  it("needs a slot", () => {
    expect(() => new SlotPool([])).toThrow(RangeError);
  });
});

describe("engine defaults", () => {
  it.each([
    [1, 1, 1],
    [2, 2, 1],
    [4, 4, 3],
    [8, 16, 8],
    [8, 8, 7],
    [0, 0, 1],
  ])("defaultThreads(%i math cores, %i logical) = %i", (mathCores, logicalCores, threads) => {
    expect(defaultThreads({ mathCores, logicalCores })).toBe(threads);
  });

  it("a context holds sra's longest prompt and reply", () => {
    expect(DEFAULT_CONTEXT_SIZE).toBeGreaterThanOrEqual(2000 + 1536);
  });
});

describe("model sources", () => {
  it("a source is the resolver's hf: URI", () => {
    expect(ggufUri({ repo: "Qwen/Qwen2.5-0.5B-Instruct-GGUF", quant: "Q4_K_M" })).toBe(
      "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M",
    );
  });

  it.each([
    [{ SRA_CACHE_DIR: "/c" }, "/c/models"],
    [{ XDG_CACHE_HOME: "/x" }, "/x/sra/models"],
    [{ HOME: "/h" }, undefined],
  ])("models go to $SRA_CACHE_DIR/models, else the XDG cache (%j)", (env, dir) => {
    const got = defaultModelsDir(env as NodeJS.ProcessEnv);
    if (dir) expect(got).toBe(dir);
    else expect(got).toMatch(new RegExp(`${path.sep}\\.cache${path.sep}sra${path.sep}models$`));
  });

  it("formats download progress", () => {
    expect(formatDownloadProgress({ uri: "u", downloadedBytes: 312_400_000, totalBytes: 491_400_000 })).toBe(
      "312.4 MB / 491.4 MB (63%)",
    );
    expect(formatDownloadProgress({ uri: "u", downloadedBytes: 1_000_000, totalBytes: 0 })).toBe("1.0 MB");
  });

  it("every preset has a GGUF source, and there is a small one for CPUs", async () => {
    const presets = await loadPresets();
    for (const p of presets) expect(p.gguf, p.name).toMatchObject({ repo: /\/.+-GGUF$/, quant: "Q4_K_M" });
    expect(presets.find((p) => p.name === "qwen2.5-0.5b")?.gguf?.repo).toBe(
      "bartowski/Qwen2.5-0.5B-Instruct-GGUF",
    );
  });
});

describe("the start-up banner", () => {
  const d = {
    engine: "llama-cpp" as const,
    modelPath: "/m/qwen2.5-0.5b-instruct-q4_k_m.gguf",
    modelBytes: 397_808_192,
    modelName: "qwen2.5-0.5b-instruct",
    chatWrapper: "ChatML",
    gpu: false as const,
    threads: 1,
    parallel: 4,
    contextSize: 4096,
    trainContextSize: 32768,
  };

  it("names the model file, its size and origin, and how the engine runs", () => {
    expect(formatEngineBanner(d, "cache")).toBe(
      "model /m/qwen2.5-0.5b-instruct-q4_k_m.gguf (398 MB, cached) in process: llama.cpp on the CPU, 1 thread, 4 sequences x 4096 tokens, chat template ChatML",
    );
    expect(formatEngineBanner({ ...d, gpu: "cuda", threads: 8, parallel: 1 }, "local")).toContain(
      "(398 MB, --gguf) in process: llama.cpp on the GPU (cuda), 8 threads, 1 sequence x 4096 tokens",
    );
  });

  it.each([
    [25_452_128, "25.5 MB"],
    [397_808_192, "398 MB"],
    [1_120_000_000, "1.1 GB"],
  ])("formatBytes(%i) = %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
