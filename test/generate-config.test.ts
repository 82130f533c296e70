import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GenerateOptions, resolveGenerateConfig } from "../src/commands/generate.js";
import { ConfigError, UsageError } from "../src/errors.js";
import { loadPresets } from "../src/llm/presets.js";
import {
  diffResultFields,
  diffRunConfigs,
  mergeLayers,
  resultFields,
  type Settings,
} from "../src/run/config.js";
import { GENERATE_SETTINGS } from "../src/run/generate-settings.js";
import { checkSavedConfig } from "../src/run/resolve-config.js";
import { DEFAULT_SEARCH_PARAMS } from "../src/search/params.js";
import { defaultText, tableEntries, valueAt } from "../src/util/option-table.js";
import { runCli } from "./support/cli.js";

let tmp: string;
let problems: string;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-gen-config-"));
  problems = path.join(tmp, "problems.jsonl");
  await fsp.writeFile(problems, '{"question": "Add two numbers."}\n');
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const NOW = new Date("2025-01-01T00:00:00Z");
/** A server, so the tests of the settings themselves run on the OpenAI engine (the engine rule is below). */
const SERVER_ENV = { OPENAI_BASE_URL: "http://localhost:8000/v1" };

async function resolve(
  settings: Settings,
  extra: Partial<GenerateOptions> = {},
  env: Record<string, string> = SERVER_ENV,
) {
  const { config } = await resolveGenerateConfig(
    { out: path.join(tmp, "run"), settings: { input: { problems }, ...settings }, ...extra },
    env,
    NOW,
  );
  return config;
}

async function writeJson(name: string, value: unknown): Promise<string> {
  const file = path.join(tmp, name);
  await fsp.writeFile(file, JSON.stringify(value));
  return file;
}

describe("config resolution: defaults < preset < --config < flags", () => {
  it("fills every field from the option table's defaults, DEFAULT_SEARCH_PARAMS and the preset", async () => {
    const c = await resolve({ model: "gemma-2-2b" });
    expect(c.model).toEqual({
      name: "gemma-2-2b",
      servedModel: "google/gemma-2-2b-it",
      systemRole: false,
      template: "gemma2",
      known: true,
    });
    expect(c.search).toEqual({ ...DEFAULT_SEARCH_PARAMS, temperature: 0.7, topP: 0.95 });
    expect(c.strategy).toBe("mcts");
    expect(c.stage).toBe("all");
    expect(c.seed).toBe(0);
    expect(c.engine).toBe("openai");
    expect(c.server.baseUrls).toEqual(["http://localhost:8000/v1"]);
    expect(c.server.apiKeyEnv).toBe("OPENAI_API_KEY");
    expect(c.server.retry.maxAttempts).toBeGreaterThan(1);
    expect(c.run).toEqual({ concurrency: 256, maxFailures: 0.5, retryFailures: false, journal: true });
    expect(c.input.problems).toBe(problems);
    expect(c.prompts.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("takes the base URL from $OPENAI_BASE_URL when no flag gives one", async () => {
    const c = await resolve({ model: "gemma-2-2b" }, {}, { OPENAI_BASE_URL: "http://gpu:9000/v1" });
    expect(c.server.baseUrls).toEqual(["http://gpu:9000/v1"]);
    const f = await resolve(
      { model: "gemma-2-2b", server: { baseUrls: ["http://a:1/v1", "http://b:2/v1"] } },
      {},
      { OPENAI_BASE_URL: "http://gpu:9000/v1" },
    );
    expect(f.server.baseUrls).toEqual(["http://a:1/v1", "http://b:2/v1"]);
  });

  it("the preset's sampling beats the built-in defaults; --config beats the preset; flags beat --config", async () => {
    const preset = await resolve({ model: "qwen2.5-14b" });
    expect(preset.search.topP).toBe(0.8);
    expect(preset.code.topP).toBe(0.8);
    const file = await writeJson("layer.json", { search: { topP: 0.9, c: 0.3 }, run: { concurrency: 4 } });
    const fromFile = await resolve({ model: "qwen2.5-14b" }, { configFile: file });
    expect(fromFile.search.topP).toBe(0.9);
    expect(fromFile.search.c).toBe(0.3);
    expect(fromFile.run.concurrency).toBe(4);
    const fromFlags = await resolve(
      { model: "qwen2.5-14b", search: { c: 0.9, temperature: 0.2 }, code: { temperature: 0.2 } },
      { configFile: file },
    );
    expect(fromFlags.search.c).toBe(0.9);
    expect(fromFlags.search.temperature).toBe(0.2);
    expect(fromFlags.code.temperature).toBe(0.2);
    expect(fromFlags.search.topP).toBe(0.9);
  });

  it("a --config file that sets one search field keeps the preset's sampling for the others", async () => {
    const file = await writeJson("one-search-field.json", { search: { iterations: 5 } });
    const c = await resolve({ model: "qwen2.5-14b" }, { configFile: file });
    expect(c.search.iterations).toBe(5);
    expect(c.search.topP).toBe(0.8);
    expect(c.search.c).toBe(DEFAULT_SEARCH_PARAMS.c);
  });

  it("uses any other model name as the served name, and --served-model overrides", async () => {
    const adhoc = await resolve({ model: "my-org/coder-7b" });
    expect(adhoc.model).toMatchObject({
      name: "my-org/coder-7b",
      servedModel: "my-org/coder-7b",
      known: false,
    });
    const served = await resolve({ model: "gemma-2-2b", servedModel: "gemma2" });
    expect(served.model.servedModel).toBe("gemma2");
    expect(served.model.template).toBe("gemma2");
  });

  it("resolves paths in a --config file relative to that file", async () => {
    const sub = path.join(tmp, "sub");
    await fsp.mkdir(sub, { recursive: true });
    await fsp.writeFile(path.join(sub, "mine.jsonl"), '{"question": "x"}\n');
    const file = path.join(sub, "settings.json");
    await fsp.writeFile(file, JSON.stringify({ model: "gemma-2-2b", input: { problems: "mine.jsonl" } }));
    const { config } = await resolveGenerateConfig(
      { out: path.join(tmp, "run"), settings: {}, configFile: file },
      {},
      NOW,
    );
    expect(config.input.problems).toBe(path.join(sub, "mine.jsonl"));
  });

  it("a run's config.json given as --config reproduces that run's settings", async () => {
    const first = await resolve({ model: "llama-3.1-8b", search: { iterations: 7, branches: 2 }, seed: 5 });
    const file = await writeJson("previous-config.json", first);
    const again = await resolve({}, { configFile: file });
    expect(diffResultFields(first, again)).toEqual([]);
    expect(again.search.iterations).toBe(7);
  });

  it.each([
    [{ colour: "red" }, /\(root\): Unrecognized key: "colour"/],
    [{ search: { bogus: 1 } }, /search: Unrecognized key: "bogus"/],
    [{ search: { c: -1 } }, /search\.c: Too small/],
    [{ run: { concurrency: "many" } }, /run\.concurrency: Invalid input/],
    [{ server: { baseUrls: ["ftp://x"] } }, /server\.baseUrls\.0/],
  ])("rejects a config file %j with path: message", async (value, message) => {
    const file = await writeJson("bad.json", value);
    const err = await resolve({ model: "gemma-2-2b" }, { configFile: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(file);
    expect((err as ConfigError).message).toMatch(message);
  });

  it("rejects a config file that is not JSON", async () => {
    const file = path.join(tmp, "broken.json");
    await fsp.writeFile(file, "{ nope");
    await expect(resolve({ model: "gemma-2-2b" }, { configFile: file })).rejects.toThrow(/invalid JSON/);
  });

  it("an out-of-range flag is a one-line usage error naming the flag", async () => {
    const err = await resolve({ model: "gemma-2-2b", search: { alpha: 2 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe("--alpha 2: too big: expected number to be <=1");
  });
});

describe("which engine runs: an explicit --engine, else a base URL means the server, else in process", () => {
  const URL_A = "http://gpu:8000/v1";
  let gguf: string;
  let withServer: string;
  beforeAll(async () => {
    // A local model file only has to start like a GGUF to be taken (it is loaded at run time).
    gguf = path.join(tmp, "My-Coder-Q4_K_M.gguf");
    await fsp.writeFile(gguf, "GGUF and some bytes");
    withServer = await writeJson("with-server.json", { server: { baseUrls: [URL_A] } });
  });

  it.each<[string, Settings, Record<string, string>, boolean, "openai" | "llama-cpp", string]>([
    ["nothing: in process, the small default model", {}, {}, false, "llama-cpp", "qwen2.5-0.5b"],
    ["--model, no server: in process", { model: "gemma-2-2b" }, {}, false, "llama-cpp", "gemma-2-2b"],
    [
      "--base-url: the server",
      { model: "gemma-2-2b", server: { baseUrls: [URL_A] } },
      {},
      false,
      "openai",
      "gemma-2-2b",
    ],
    [
      "$OPENAI_BASE_URL: the server",
      { model: "gemma-2-2b" },
      { OPENAI_BASE_URL: URL_A },
      false,
      "openai",
      "gemma-2-2b",
    ],
    [
      "a --config file's server.baseUrls: the server",
      { model: "gemma-2-2b" },
      {},
      true,
      "openai",
      "gemma-2-2b",
    ],
    [
      "--engine llama-cpp beats --base-url",
      { engine: "llama-cpp", server: { baseUrls: [URL_A] } },
      {},
      false,
      "llama-cpp",
      "qwen2.5-0.5b",
    ],
    [
      "--engine llama-cpp beats $OPENAI_BASE_URL",
      { engine: "llama-cpp" },
      { OPENAI_BASE_URL: URL_A },
      false,
      "llama-cpp",
      "qwen2.5-0.5b",
    ],
    [
      "--engine openai with $OPENAI_BASE_URL",
      { engine: "openai", model: "m" },
      { OPENAI_BASE_URL: URL_A },
      false,
      "openai",
      "m",
    ],
  ])("%s", async (_name, settings, env, configFile, engine, model) => {
    const c = await resolve(settings, configFile ? { configFile: withServer } : {}, env);
    expect(c.engine).toBe(engine);
    expect(c.model.name).toBe(model);
    expect(c.model.gguf === undefined).toBe(engine === "openai");
  });

  it("in process: the preset's GGUF source, guided scores, an hour's deadline, 2 problems per sequence", async () => {
    const c = await resolve({}, {}, {});
    expect(c.model).toEqual({
      name: "qwen2.5-0.5b",
      servedModel: "Qwen/Qwen2.5-0.5B-Instruct",
      systemRole: true,
      template: "qwen",
      known: true,
      gguf: { repo: "bartowski/Qwen2.5-0.5B-Instruct-GGUF", quant: "Q4_K_M" },
    });
    expect(c.llamaCpp).toEqual({ gguf: null, contextSize: 4096, parallel: 4, threads: null, gpu: "auto" });
    expect(c.search.guided).toBe(true);
    expect(c.server.timeoutSec).toBe(3600);
    expect(c.run.concurrency).toBe(8);
    expect((await resolve({ llamaCpp: { parallel: 2 } }, {}, {})).run.concurrency).toBe(4);
    // Flags and --config still win; a server keeps the paper's free-form scores.
    const flags = await resolve(
      { search: { guided: false }, run: { concurrency: 3 }, server: { timeoutSec: 60 } },
      {},
      {},
    );
    expect([flags.search.guided, flags.run.concurrency, flags.server.timeoutSec]).toEqual([false, 3, 60]);
    const server = await resolve({ model: "gemma-2-2b" });
    expect([server.search.guided, server.server.timeoutSec, server.run.concurrency]).toEqual([
      false,
      300,
      256,
    ]);
  });

  it("--gguf: the file as it is (absolute path and size), named after it when --model is not given", async () => {
    const c = await resolve({ llamaCpp: { gguf: path.relative(process.cwd(), gguf) } }, {}, {});
    expect(c.model).toMatchObject({ name: "My-Coder-Q4_K_M", known: false, gguf: { path: gguf, bytes: 19 } });
    expect(c.llamaCpp.gguf).toBe(gguf);
    const named = await resolve({ model: "gemma-2-2b", llamaCpp: { gguf } }, {}, {});
    expect(named.model).toMatchObject({ name: "gemma-2-2b", systemRole: false, gguf: { path: gguf } });
  });

  it.each<[string, Settings, Record<string, string>, RegExp]>([
    [
      "--engine openai without a server",
      { engine: "openai", model: "gemma-2-2b" },
      {},
      /^--engine openai needs a server: give --base-url URL \(or set \$OPENAI_BASE_URL\); sra no longer assumes http:\/\/localhost:8000\/v1$/,
    ],
    [
      "a model with no GGUF source, in process",
      { model: "my-org/coder-7b" },
      {},
      /^model "my-org\/coder-7b" has no GGUF source for the in-process engine: give a local file with --gguf PATH, or a server with --base-url URL$/,
    ],
    [
      "a server without --model",
      {},
      { OPENAI_BASE_URL: URL_A },
      /^missing required option: --model <name> .*required with a server/,
    ],
  ])("usage error: %s", async (_name, settings, env, message) => {
    const e = await resolve(settings, {}, env).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(message);
  });

  it("a --gguf that is not there, or not a GGUF: an input error naming the file and the flag", async () => {
    const missing = path.join(tmp, "missing.gguf");
    await expect(resolve({ llamaCpp: { gguf: missing } }, {}, {})).rejects.toThrow(
      `${missing} (field "--gguf"): GGUF model file not found`,
    );
    await expect(resolve({ llamaCpp: { gguf: problems } }, {}, {})).rejects.toThrow(/not a GGUF model file/);
  });

  it("a resumed in-process run: the model file and the context size count, sequences and threads do not", async () => {
    const base = await resolve({}, {}, {});
    const faster = await resolve({ llamaCpp: { parallel: 8, threads: 3, gpu: "off" } }, {}, {});
    expect(diffResultFields(base, faster, resultFields("llama-cpp"))).toEqual([]);
    const other = await resolve({ model: "qwen2.5-0.5b", llamaCpp: { gguf, contextSize: 8192 } }, {}, {});
    expect(diffResultFields(base, other, resultFields("llama-cpp")).map((d) => d.path)).toEqual([
      "model.gguf.bytes",
      "model.gguf.path",
      "model.gguf.quant",
      "model.gguf.repo",
      "llamaCpp.contextSize",
    ]);
  });

  it("configs compared for resume and merge: an old config without engine is a server's", async () => {
    const server = await resolve({ model: "gemma-2-2b" });
    const { engine: _engine, ...legacy } = server;
    expect(diffRunConfigs(legacy, server)).toEqual([]);
    const inProcess = await resolve({ model: "gemma-2-2b" }, {}, {});
    // In process the scores are guided by default: that changes results too.
    expect(diffRunConfigs(legacy, inProcess).map((d) => d.path)).toEqual([
      "engine",
      "search.guided",
      "model.gguf.quant",
      "model.gguf.repo",
    ]);
    const otherFile = await resolve({ model: "gemma-2-2b", llamaCpp: { gguf } }, {}, {});
    expect(diffRunConfigs(inProcess, otherFile).map((d) => d.path)).toEqual([
      "model.gguf.bytes",
      "model.gguf.path",
      "model.gguf.quant",
      "model.gguf.repo",
    ]);
  });

  it("a run made on a server before the engine rule, resumed without --base-url: refused, naming the server", async () => {
    const dir = path.join(tmp, "old-run");
    await fsp.mkdir(dir, { recursive: true });
    const old = await resolve({ model: "gemma-2-2b" });
    const { engine: _engine, ...legacy } = old;
    await fsp.writeFile(path.join(dir, "config.json"), JSON.stringify(legacy));
    const now = await resolve({ model: "gemma-2-2b" }, {}, {});
    const e = await checkSavedConfig(dir, now).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).issues).toContain('engine: the run has "openai", this command has "llama-cpp"');
    expect((e as ConfigError).hint).toBe(
      "this run was made on a server; without --base-url (or $OPENAI_BASE_URL) sra now runs the model in process: add --base-url http://localhost:8000/v1",
    );
    expect(await checkSavedConfig(dir, old)).toBe(old.createdAt);
  });
});

describe("which fields may change on resume", () => {
  it("speed and selection fields do not count as differences; result fields do", async () => {
    const base = await resolve({ model: "gemma-2-2b" });
    const faster = await resolve({
      model: "gemma-2-2b",
      server: { baseUrls: ["http://other:1/v1"], maxRequests: 8, timeoutSec: 10, adaptive: false },
      run: { concurrency: 2, maxFailures: 3 },
      input: { problems, limit: 3, shard: { index: 1, count: 2 } },
      stage: "plans",
    });
    expect(diffResultFields(base, faster)).toEqual([]);
    const different = await resolve({ model: "llama-3.1-8b", search: { c: 0.9 }, seed: 3, strategy: "cot" });
    expect(diffResultFields(base, different).map((d) => d.path)).toEqual([
      "model.servedModel",
      "model.systemRole",
      "strategy",
      "seed",
      "search.c",
    ]);
  });

  it("a setting missing from an older run's config.json counts as its default, and only then", async () => {
    const current = await resolve({ model: "gemma-2-2b" });
    const older = structuredClone(current) as unknown as { search: Record<string, unknown> };
    delete older.search.parallelIterations;
    delete older.search.virtualLoss;
    expect(diffResultFields(older, current)).toEqual([]);
    expect(diffResultFields(current, older)).toEqual([]);
    const parallel = await resolve({ model: "gemma-2-2b", search: { parallelIterations: 3 } });
    expect(diffResultFields(older, parallel)).toEqual([
      { path: "search.parallelIterations", saved: undefined, current: 3 },
    ]);
  });

  it("mergeLayers merges objects and skips undefined", () => {
    expect(mergeLayers({ a: { b: 1, c: 2 }, d: [1] }, { a: { b: undefined, c: 3 }, d: [2] })).toEqual({
      a: { b: 1, c: 3 },
      d: [2],
    });
  });
});

describe("sra generate: every missing required option in one message (real CLI)", () => {
  it.each<[string, string[], string[]]>([
    // In process (no base URL) a model is not required: the default preset runs.
    ["no flags at all", [], ["--out <dir>", "--problems <file>"]],
    [
      "only a server",
      ["--base-url", "http://127.0.0.1:9/v1"],
      ["--out <dir>", "--model <name>", "--problems <file>"],
    ],
    [
      "only --out, with a server",
      ["--out", "OUT", "--base-url", "http://127.0.0.1:9/v1"],
      ["--model <name>", "--problems <file>"],
    ],
    ["--model and --problems from --config", ["--config", "CONFIG"], ["--out <dir>"]],
    ["no --problems", ["--model", "gemma-2-2b", "--out", "OUT"], ["--problems <file>"]],
  ])("%s", async (_name, args, missing) => {
    const config = path.join(tmp, "required.json");
    await fsp.writeFile(config, JSON.stringify({ model: "gemma-2-2b", input: { problems } }));
    const out = path.join(tmp, "never-required");
    const argv = args.map((a) => (a === "OUT" ? out : a === "CONFIG" ? config : a));
    const r = await runCli(["generate", ...argv]);
    expect(r.code).toBe(2);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("sra: ") || l.startsWith("error:"));
    expect(errors).toHaveLength(1);
    for (const option of missing) expect(r.stderr).toContain(option);
    for (const option of ["--out <dir>", "--model <name>", "--problems <file>"].filter(
      (o) => !missing.includes(o),
    )) {
      expect(r.stderr).not.toContain(option);
    }
    expect(r.stderr).toMatch(
      missing.length === 1 ? /missing required option: / : /missing required options:\n {2}--/,
    );
    await expect(fsp.access(out)).rejects.toThrow();
  });
});

describe("sra generate: bad flags exit 2 with one clear line (real CLI)", () => {
  it.each([
    [["--c", "-1"], /--c -1: too small/],
    [["--branches", "0"], /--branches 0: too small/],
    [["--alpha", "2"], /--alpha 2: too big/],
    [["--temperature", "3"], /--temperature 3: too big/],
    [["--base-url", "localhost:8000"], /--base-url localhost:8000: invalid URL/],
    [["--shard", "0/4"], /numbered from 1/],
    [["--shard", "3"], /i\/n/],
    [["--max-failures", "1.5"], /--max-failures must be/],
    [["--iterations", "ten"], /--iterations must be a whole number/],
    [["--parallel-iterations", "0"], /--parallel-iterations/],
    [["--stage", "later"], /Allowed choices are plans, code, all/],
  ])("%j", async (args, message) => {
    const r = await runCli([
      "generate",
      "--model",
      "gemma-2-2b",
      "--problems",
      problems,
      "--out",
      path.join(tmp, "never"),
      ...args,
    ]);
    expect(r.code).toBe(2);
    const lines = r.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("(run with --help"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    await expect(fsp.access(path.join(tmp, "never"))).rejects.toThrow();
  });

  it("--help states every flag's default", async () => {
    const r = await runCli(["generate", "--help"]);
    expect(r.code).toBe(0);
    const flagLines = r.stdout.split("\n").filter((l) => /^\s+--/.test(l) && !/--help/.test(l));
    // A flag's help may wrap; each flag's block must mention a default (or "required").
    const blocks = r.stdout.split(/\n(?=\s+--)/).filter((b) => /^\s+--/.test(b) && !/^\s+-h, --help/.test(b));
    expect(flagLines.length).toBeGreaterThan(30);
    for (const b of blocks) expect(b, b).toMatch(/default|required/);
  });
});

describe("sra generate --help: each default is the one a run resolves to", () => {
  /** Where a settings path's value lands in the resolved config. */
  const RESOLVED_AT: Record<string, string> = { servedModel: "model.servedModel", promptsDir: "prompts.dir" };
  let help: string;
  /** Each option's help on one line, by its flags as printed ("--max-tokens <n>"). */
  const blocks = new Map<string, string>();
  beforeAll(async () => {
    const r = await runCli(["generate", "--help"]);
    expect(r.code).toBe(0);
    help = r.stdout.replace(/\n\s+/g, " ");
    // Options start at two spaces; their wrapped lines are indented further.
    for (const block of r.stdout.split(/\n(?= {2}-)/).slice(1)) {
      // "  --max-tokens <n>   max tokens of ..." : the flags end at the first run of 2+ spaces.
      const m = /^ {2}(\S.*?) {2,}([\s\S]*)$/.exec(block);
      if (m) blocks.set(m[1] as string, (m[2] as string).replace(/\s+/g, " ").trim());
    }
  });
  const blockOf = (flag: string): string => {
    const block = [...blocks.entries()].find(([flags]) => flags === flag)?.[1];
    expect(block, flag).toBeDefined();
    return block as string;
  };

  it("states every setting's default as resolved with no flags and no --config", async () => {
    const c = await resolve({ model: "gemma-2-2b" });
    const flagged = tableEntries(GENERATE_SETTINGS).filter((e) => e.row.flag !== undefined);
    expect(flagged.length).toBeGreaterThan(25);
    for (const { path: at, row } of flagged) {
      const block = blockOf(row.flag as string);
      const value = valueAt(c, RESOLVED_AT[at] ?? at);
      const shown = /\(default: (.*?)\)(?: \(choices:.*)?\s*$/.exec(block)?.[1];
      if (at === "model" || at === "input.problems") {
        expect(block, at).toMatch(/required/);
      } else if (at === "server.baseUrls") {
        expect(shown, at).toMatch(/^\$OPENAI_BASE_URL, else none/);
      } else if (typeof row.showDefault === "string") {
        expect(shown, at).toBe(row.showDefault);
      } else if (typeof value === "number" || typeof value === "string") {
        expect(shown?.split(/[ ,;]+/), at).toContain(String(value));
      } else if (Array.isArray(value)) {
        expect(shown, at).toContain(value.join(", "));
      } else {
        // null and booleans are said in words ("none", "all", "off", "adaptive", ...).
        expect(shown, at).toBe(defaultText(row, value));
      }
    }
  });

  it("names the numbers a reader looks for", () => {
    expect(help).toMatch(/--concurrency <n> .*\(default: 256; in process 2 x --parallel\)/);
    expect(help).toMatch(/--max-requests <n> .*\(default: 64\)/);
    expect(help).toMatch(/--max-tokens <n> .*\(default: 1536\)/);
    expect(help).toMatch(/--timeout <sec> .*\(default: 300; in process 3600\)/);
    expect(help).toMatch(/--parallel <n> .*\(default: 4\)/);
    expect(help).toMatch(/--context-size <n> .*\(default: 4096\)/);
    expect(help).toMatch(/--guided .*\(default: on in process, off with a server\) --no-guided /);
    expect(help).toMatch(/--max-outage <sec> .*\(default: 600\)/);
    expect(help).toMatch(/--max-failures <n\|fraction> .*\(default: 0\.5\)/);
    expect(help).toMatch(/--iterations <n> .*\(default: 24\)/);
  });

  it("--temperature's default is every built-in preset's", async () => {
    for (const preset of await loadPresets()) {
      const c = await resolve({ model: preset.name });
      expect(c.search.temperature).toBe(preset.sampling.temperature);
      expect(c.code.temperature).toBe(preset.sampling.temperature);
      expect(blockOf("--temperature <t>")).toContain(`${preset.sampling.temperature} for the built-in ones`);
    }
  });
});
