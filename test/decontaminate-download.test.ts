import { readFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BUILTIN, parsePythonJson } from "../src/decontaminate/benchmarks.js";
import { BenchmarkFetchError, type DatasetSources, loadBenchmark } from "../src/decontaminate/datasets.js";
import { DATASETS, runCli } from "./support/cli.js";
import { closedPort } from "./support/closed-port.js";
import { type StaticServer, startStaticServer } from "./support/static-server.js";

let tmp: string;
let server: StaticServer | undefined;
let notes: string[];

beforeEach(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-download-"));
  notes = [];
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await fsp.rm(tmp, { recursive: true, force: true });
});

function sources(baseUrl: string | undefined, dirs: string[] = []): DatasetSources {
  return {
    dirs,
    cacheDir: path.join(tmp, "cache"),
    baseUrl,
    notify: (m) => notes.push(m),
    timeoutMs: 10_000,
  };
}

async function cacheFiles(sub = ""): Promise<string[]> {
  return fsp.readdir(path.join(tmp, "cache", sub)).catch(() => []);
}

describe("benchmark download and cache", () => {
  it("downloads into the cache, says what it fetched, then uses the cache without a request", async () => {
    server = await startStaticServer({ root: DATASETS });
    const first = await loadBenchmark("humaneval", sources(server.url));
    expect(first.origin).toBe("download");
    expect(first.extracted.items).toHaveLength(164);
    expect(first.sha256).toBe(BUILTIN.humaneval.sha256);
    expect(server.requests).toEqual(["/HumanEval.jsonl.gz"]);
    expect(await cacheFiles()).toEqual(["HumanEval.jsonl.gz"]);
    expect(notes.join("\n")).toContain(
      `${server.url}/HumanEval.jsonl.gz (44,877 bytes, sha256 ${BUILTIN.humaneval.sha256})`,
    );

    const second = await loadBenchmark("humaneval", sources(server.url));
    expect(second.origin).toBe("cache");
    expect(server.requests).toHaveLength(1);
    expect(second.extracted.items).toEqual(first.extracted.items);
  });

  it("rejects a download whose sha256 is not the pinned one, and caches nothing", async () => {
    const bytes = readFileSync(path.join(DATASETS, "mbpp.jsonl"));
    const tampered = Buffer.from(bytes);
    tampered[100] = tampered[100]! ^ 1;
    server = await startStaticServer({ root: DATASETS, overrides: { "/mbpp.jsonl": tampered } });
    const error = await loadBenchmark("mbpp", sources(server.url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BenchmarkFetchError);
    expect((error as Error).message).toMatch(
      /sha256 mismatch for mbpp .* expected ccf64cea.*nothing was cached/,
    );
    expect(await cacheFiles()).toEqual([]);
  });

  it("re-fetches a cached file that no longer matches its sha256", async () => {
    server = await startStaticServer({ root: DATASETS });
    await fsp.mkdir(path.join(tmp, "cache"), { recursive: true });
    await fsp.writeFile(path.join(tmp, "cache", "sanitized-mbpp.json"), "[]");
    const loaded = await loadBenchmark("mbpp-sanitized", sources(server.url));
    expect(loaded.origin).toBe("download");
    expect(loaded.extracted.items).toHaveLength(427);
    expect(notes[0]).toMatch(/does not match its pinned sha256; fetching it again/);
  });

  it("names the URL and suggests --datasets-dir on a 404", async () => {
    server = await startStaticServer({
      root: DATASETS,
      overrides: { "/MbppPlus-evalplus-git-767efcc.jsonl": 404 },
    });
    const error = (await loadBenchmark("mbpp-plus", sources(`${server.url}/`)).catch(
      (e: unknown) => e,
    )) as BenchmarkFetchError;
    expect(error).toBeInstanceOf(BenchmarkFetchError);
    expect(error.message).toContain(`${server.url}/MbppPlus-evalplus-git-767efcc.jsonl answered 404`);
    expect(error.hint).toMatch(/--datasets-dir/);
    expect(await cacheFiles()).toEqual([]);
  });

  it("fails fast when the server is unreachable", async () => {
    const port = await closedPort();
    const t0 = performance.now();
    const error = (await loadBenchmark("humaneval", sources(`http://127.0.0.1:${port}`)).catch(
      (e: unknown) => e,
    )) as Error;
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(error).toBeInstanceOf(BenchmarkFetchError);
    expect(error.message).toMatch(
      /cannot fetch humaneval from http:\/\/127\.0\.0\.1:\d+\/HumanEval\.jsonl\.gz: ECONNREFUSED/,
    );
  });

  it("prefers a local copy in a datasets dir (no request), under a pattern name too", async () => {
    server = await startStaticServer({ root: DATASETS });
    const local = path.join(tmp, "local");
    await fsp.mkdir(local);
    await fsp.copyFile(
      path.join(DATASETS, "HumanEvalPlus-v0.1.10.jsonl.gz"),
      path.join(local, "HumanEvalPlus-mine.jsonl.gz"),
    );
    const loaded = await loadBenchmark("humaneval-plus", sources(server.url, [local]));
    expect(loaded.origin).toBe("local");
    expect(loaded.file).toBe(path.join(local, "HumanEvalPlus-mine.jsonl.gz"));
    expect(server.requests).toEqual([]);
  });

  it("the CLI downloads all five from a mirror ($SRA_DATASETS_URL), then runs offline from the cache", async () => {
    server = await startStaticServer({ root: DATASETS });
    const input = path.join(tmp, "p.jsonl");
    await fsp.writeFile(
      input,
      '{"question": "Write a function to find the shared elements from the given two lists."}\n',
    );
    const env = {
      SRA_DATASETS_URL: server.url,
      SRA_CACHE_DIR: path.join(tmp, "cache"),
      SRA_DATASETS_DIR: "",
    };
    const r = await runCli(["decontaminate", input, "-o", path.join(tmp, "out.jsonl")], { env });
    expect(r.stderr).toMatch(/fetched humaneval: .*HumanEval\.jsonl\.gz \(44,877 bytes, sha256 b796127e/);
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(5);
    // Into the datasets folder of the cache root ($SRA_CACHE_DIR), beside the models folder.
    expect((await cacheFiles("datasets")).sort()).toEqual([
      "HumanEval.jsonl.gz",
      "HumanEvalPlus-v0.1.10.jsonl.gz",
      "MbppPlus-evalplus-git-767efcc.jsonl",
      "mbpp.jsonl",
      "sanitized-mbpp.json",
    ]);
    // MBPP+ task 2 and sanitized MBPP task 2 are this very sentence: the problem is removed.
    expect(r.stderr).toMatch(/kept 0, removed 1/);
    const again = await runCli(["decontaminate", input, "-o", path.join(tmp, "out2.jsonl")], { env });
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/fetched/);
    expect(server.requests).toHaveLength(5);
  });
});

describe("the cache's old layout", () => {
  it("files a user put directly in $SRA_CACHE_DIR (where datasets lived before models) are still found, never fetched", async () => {
    server = await startStaticServer({ root: DATASETS });
    const root = path.join(tmp, "old-cache");
    await fsp.mkdir(root, { recursive: true });
    await fsp.copyFile(path.join(DATASETS, "mbpp.jsonl"), path.join(root, "mbpp.jsonl"));
    const input = path.join(tmp, "q.jsonl");
    await fsp.writeFile(input, '{"question": "Reverse a string."}\n');
    const env = { SRA_DATASETS_URL: server.url, SRA_CACHE_DIR: root, SRA_DATASETS_DIR: "" };
    const r = await runCli(
      ["decontaminate", input, "-o", path.join(tmp, "q-out.jsonl"), "--against", "mbpp"],
      {
        env,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests).toEqual([]);
    // --cache-dir names the same root.
    const flag = await runCli(
      [
        "decontaminate",
        input,
        "-o",
        path.join(tmp, "q-out2.jsonl"),
        "--against",
        "mbpp",
        "--cache-dir",
        root,
      ],
      { env: { ...env, SRA_CACHE_DIR: path.join(tmp, "elsewhere") } },
    );
    expect(flag.code, flag.stderr).toBe(0);
    expect(server.requests).toEqual([]);
  });
});

describe("EvalPlus JSON", () => {
  it.each([
    ['{"a": [NaN, -Infinity, Infinity]}', { a: [null, null, null] }],
    [
      '{"s": "NaN and -Infinity stay in strings \\" NaN", "x": NaN}',
      { s: 'NaN and -Infinity stay in strings " NaN', x: null },
    ],
    ['{"plain": 1}', { plain: 1 }],
  ])("%s", (text, value) => {
    expect(parsePythonJson(text)).toEqual({ ok: true, value });
  });
});
