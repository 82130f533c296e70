import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { VERSION } from "../src/version.js";
import { ROOT, runCli } from "./support/cli.js";

describe("sra CLI basics", () => {
  it("prints the version that package.json declares", async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("lists the commands in --help", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const cmd of ["decontaminate", "generate", "export", "stats", "merge", "models"]) {
      expect(r.stdout).toContain(cmd);
    }
  });

  it("exits 2 on an unknown command or flag", async () => {
    expect((await runCli(["frobnicate"])).code).toBe(2);
    expect((await runCli(["--no-such-flag"])).code).toBe(2);
  });
});
