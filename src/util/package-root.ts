/**
 * The package's own directory (where prompts/ and configs/ live), found from this module's URL so it
 * works from src/ under tsx, from dist/src/ after a build, and from an npm install.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "configs"))) {
      cached = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("sra: cannot find the package root (package.json beside configs/)");
    dir = parent;
  }
}
