/** `sra models` through the built CLI (npm run build first). */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { formatTable } from "../src/commands/models.js";
import { runCli } from "./support/cli.js";
import { type FakeServer, startFakeOpenAiServer } from "./support/fake-openai-server.js";

const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe("sra models", () => {
  it("prints every preset as a table", async () => {
    const r = await runCli(["models"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(
      /^NAME\s+SERVED MODEL\s+SYSTEM ROLE\s+TEMPLATE\s+CONTEXT\s+TEMPERATURE\s+TOP-P$/,
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
    ]);
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
      expect(r.stdout).toMatch(/^tiny\s+tiny-served\s+yes\s+default\s+2048\s+1\s+1$/m);
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
