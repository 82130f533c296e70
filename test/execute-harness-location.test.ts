/**
 * The harness runs wherever the package is, /tmp included: the sandbox mounts a private tmpfs on
 * /tmp, which hid a checkout there from the zygote's own re-execution (as root, with an interpreter
 * the sandbox user cannot read), so every check failed to start.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { findPython } from "../src/execute/python.js";

const HARNESS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src", "execute", "harness");
const copy = mkdtempSync("/tmp/sra-harness-");
afterAll(() => rmSync(copy, { recursive: true, force: true }));

it("a copy of the harness under /tmp starts its zygote and says it is ready", async () => {
  cpSync(HARNESS, copy, { recursive: true });
  const python = findPython().executable;
  const child = spawn(python, ["-s", "-B", path.join(copy, "__main__.py"), "serve", "{}"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("latin1");
      if (/"ready": ?true/.test(out)) resolve(true);
    });
    child.on("exit", () => resolve(false));
  });
  child.stdin.end();
  await new Promise((r) => child.once("exit", r).once("error", r));
  expect(ready, err).toBe(true);
});
