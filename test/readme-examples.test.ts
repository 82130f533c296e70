/**
 * The README's commands, read as a new user copies them: none may write into the folder `npm run demo`
 * filled (its run, export and decontamination files), where a generate run would mix with the demo's.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support/cli.js";

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
/** The demo's output folders (the real run and the stand-in's), as scripts/demo.ts states them. */
const demoOuts = [
  ...readFileSync(path.join(ROOT, "scripts/demo.ts"), "utf8").matchAll(/outDir\("([^"]+)"\)/g),
].map((m) => m[1] as string);

/** Every shell command of the README's ```sh blocks, continuation lines joined. */
function shellCommands(text: string): string[] {
  const blocks = [...text.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks
    .flatMap((b) => b.replace(/\\\n\s*/g, " ").split("\n"))
    .filter((l) => /\bsra\b|cli\.js/.test(l));
}

describe("README examples", () => {
  it("knows the demo's output folders", () => {
    expect(demoOuts).toEqual(["runs/demo", "runs/demo-stand-in"]);
  });

  it.each(shellCommands(readme).filter((c) => / --out /.test(c)))(
    "%s: --out is not the demo's folder",
    (command) => {
      const out = / --out (\S+)/.exec(command)?.[1] as string;
      for (const demoOut of demoOuts) {
        const inside = path.relative(demoOut, out);
        expect(inside === "" || !inside.startsWith("..")).toBe(false);
      }
    },
  );
});
