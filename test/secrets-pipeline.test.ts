/**
 * The API key never leaves the process: a whole pipeline (generate at --log-level trace with the
 * OpenAI SDK's own debug log on, stats, export, merge) runs with a marker key, against a server that
 * requires it and whose error replies echo the Authorization header back; the marker must appear in
 * no output file, no log line, no stdout or stderr. And the logger redacts authorization headers
 * (by field) and the key (by value, wherever it hides in a line).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { censorSecrets, createLogger } from "../src/util/logger.js";
import { type CliResult, runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { generateArgs, MODEL, readJsonlStrict, tagOf, writeProblems } from "./support/faults.js";
import { createPlanScript } from "./support/plan-script.js";

const MARKER = "sk-SRA-MARKER-5f1c0e9a7b3d42d8";

let tmp: string;
let server: FakeServer;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-secrets-"));
  const good = createPlanScript({ endAfterSteps: 2, seed: 8 });
  const echoed = new Set<string>();
  server = await startFakeOpenAiServer({
    apiKey: MARKER,
    models: [MODEL],
    // Error replies that quote the request's Authorization header, as some proxies do: once as a
    // retryable 503 for every problem, always as a 400 for the problem tagged "echo-400".
    script: (ctx) => {
      const tag = tagOf(ctx.prompt) ?? "";
      const quote = `upstream rejected request with ${String(ctx.headers.authorization)}`;
      if (tag === "echo-400") return { status: 400, rawBody: JSON.stringify({ error: { message: quote } }) };
      if (!echoed.has(tag)) {
        echoed.add(tag);
        return { status: 503, rawBody: JSON.stringify({ error: { message: quote } }) };
      }
      return good(ctx);
    },
  });
});

afterAll(async () => {
  await server.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** Every regular file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

function expectNoMarker(results: CliResult[], dirs: string[]): void {
  for (const r of results) {
    expect(r.stdout.includes(MARKER), "stdout").toBe(false);
    expect(r.stderr.includes(MARKER), "stderr").toBe(false);
  }
  for (const f of dirs.flatMap(filesUnder)) {
    expect(readFileSync(f, "latin1").includes(MARKER), f).toBe(false);
  }
}

describe("the API key never reaches a file, a log or the terminal", () => {
  it("generate (trace logs, SDK debug log), stats, export, merge", async () => {
    const problems = await writeProblems(path.join(tmp, "problems.jsonl"), ["s-1", "s-2", "s-3", "echo-400"]);
    const env = { OPENAI_API_KEY: MARKER, OPENAI_LOG: "debug" };
    const run = path.join(tmp, "run");
    const results: CliResult[] = [];
    const gen = await runCli(
      generateArgs({
        url: server.url,
        problems,
        out: run,
        extra: ["--log-level", "trace", "--max-failures", "none", "--shard", "1/1"],
      }),
      { env },
    );
    results.push(gen);
    expect(gen.code, gen.stderr).toBe(0);
    // The key was really used, and really echoed back by the server.
    expect(server.calls.every((c) => c.authorization === `Bearer ${MARKER}`)).toBe(true);
    expect(server.calls.some((c) => c.status === 503)).toBe(true);
    expect(gen.stdout).toMatch(/authorization: '\*\*\*'/); // the SDK's own debug log was on
    const failures = readJsonlStrict<{ id: string; error: string }>(path.join(run, "failures.jsonl"));
    expect(failures.map((f) => f.id)).toEqual(["echo-400"]);
    expect(failures[0]!.error).toContain("Bearer [redacted]");
    const log = readFileSync(path.join(run, "generate.log"), "utf8");
    expect(log).toMatch(/"level":20,.*"msg":"llm call"/); // per-call debug lines were written
    expect(log).toContain("Bearer [redacted]");

    results.push(await runCli(["stats", run], { env }));
    results.push(await runCli(["stats", run, "--json"], { env }));
    const exported = path.join(tmp, "export");
    for (const format of ["llamafactory", "jsonl", "openai"]) {
      const r = await runCli(
        ["export", "--format", format, "--input", run, "--out", exported, "--log-level", "debug"],
        {
          env,
        },
      );
      expect(r.code, r.stderr).toBe(0);
      results.push(r);
    }
    const merged = path.join(tmp, "merged");
    const m = await runCli(["merge", run, "--out", merged], { env });
    results.push(m);
    expect(results.map((r) => r.code)).toEqual(results.map(() => 0));

    expectNoMarker(results, [run, exported, merged]);
    expect(readFileSync(path.join(run, "config.json"), "utf8")).toContain('"apiKeyEnv": "OPENAI_API_KEY"');
  });

  it("a rejected key is not echoed: the server check (401) and a key named by --api-key-env", async () => {
    const wrong = "sk-SRA-WRONG-KEY-88c2a41f";
    const problems = await writeProblems(path.join(tmp, "one.jsonl"), ["w-1"]);
    const r = await runCli(
      generateArgs({
        url: server.url,
        problems,
        out: path.join(tmp, "wrong"),
        extra: ["--api-key-env", "MY_SRA_KEY", "--log-level", "trace"],
      }),
      { env: { MY_SRA_KEY: wrong, OPENAI_LOG: "debug" } },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rejected the API key/);
    expect(`${r.stdout}${r.stderr}`.includes(wrong)).toBe(false);
  });
});

describe("logs redact secrets", () => {
  it("authorization headers by field, the key by value wherever it appears", async () => {
    const file = path.join(tmp, "redact.log");
    const logger = createLogger({ level: "trace", file, secrets: [MARKER] });
    logger.info({ headers: { authorization: `Bearer ${MARKER}` } }, "request");
    logger.info({ req: { headers: { authorization: "Bearer other-token-1234" } } }, "nested request");
    logger.info({ request: { headers: { Authorization: "Bearer other-token-5678" } } }, "capitalised");
    logger.warn({ apiKey: "sk-another-key-0000" }, "config");
    logger.error({ err: `upstream said: invalid key ${MARKER}` }, `failed with "${MARKER}" in the message`);
    logger.flush?.();
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines).toHaveLength(5);
    const text = lines.join("\n");
    for (const secret of [MARKER, "other-token-1234", "other-token-5678", "sk-another-key-0000"]) {
      expect(text.includes(secret), secret).toBe(false);
    }
    expect((JSON.parse(lines[0]!) as { headers: { authorization: string } }).headers.authorization).toBe(
      "[redacted]",
    );
    expect(JSON.parse(lines[4]!)).toMatchObject({
      err: "upstream said: invalid key [redacted]",
      msg: 'failed with "[redacted]" in the message',
    });
  });

  it("a log that cannot be written (a full disk) drops its lines instead of throwing from a log call", () => {
    // /dev/full answers every write with ENOSPC, as the disk a run has just filled up does.
    const logger = createLogger({ level: "info", file: "/dev/full" });
    expect(() => {
      logger.info({ n: 1 }, "first");
      logger.warn({ n: 2 }, "second");
      logger.flush?.();
    }).not.toThrow();
  });

  it("censorSecrets handles keys with characters JSON escapes, and ignores very short ones", () => {
    expect(censorSecrets('{"msg":"key a\\"b\\\\c-1234 here"}', ['a"b\\c-1234'])).toBe(
      '{"msg":"key [redacted] here"}',
    );
    expect(censorSecrets("EMPTY abc", ["abc"])).toBe("EMPTY abc");
  });
});
