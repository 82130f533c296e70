/**
 * Finding the Python interpreter the executor runs: `--python PATH` (or a name looked up on PATH),
 * else `python3` from PATH. The interpreter is asked for its real path and version once, so the
 * executor's processes start it directly (a pyenv or asdf shim needs the user's environment, which
 * the executor does not pass on).
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import * as path from "node:path";
import { PythonNotFoundError } from "../errors.js";

export interface PythonInfo {
  /** The interpreter's own executable (sys.executable), not a shim. */
  executable: string;
  version: string;
  /** What was asked for: the --python value or "python3". */
  requested: string;
}

export const DEFAULT_PYTHON = "python3";
const MIN_VERSION: readonly [number, number] = [3, 8];
const HINT = "install Python 3.8 or later (python3 on PATH), or name one with --python PATH";

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The interpreter to run, checked by running it; a PythonNotFoundError says what to do when none. */
export function findPython(
  requested: string = DEFAULT_PYTHON,
  env: NodeJS.ProcessEnv = process.env,
): PythonInfo {
  const located = requested.includes(path.sep) ? requested : onPath(requested, env);
  if (located === undefined) {
    throw new PythonNotFoundError(`cannot run code: no "${requested}" on PATH`, { hint: HINT });
  }
  const probe = spawnSync(
    located,
    ["-c", "import json, sys; print(json.dumps([sys.executable, list(sys.version_info[:3])]))"],
    { env, encoding: "utf8", timeout: 20_000 },
  );
  if (probe.error || probe.status !== 0) {
    const why = probe.error?.message ?? (probe.stderr.trim().split("\n").pop() || `exit ${probe.status}`);
    throw new PythonNotFoundError(`cannot run code: ${located} does not run (${why})`, { hint: HINT });
  }
  let executable: string;
  let version: number[];
  try {
    [executable, version] = JSON.parse(probe.stdout.trim().split("\n").pop() ?? "") as [string, number[]];
  } catch {
    throw new PythonNotFoundError(`cannot run code: ${located} is not a Python interpreter`, { hint: HINT });
  }
  const [major = 0, minor = 0] = version;
  if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
    throw new PythonNotFoundError(`cannot run code: ${located} is Python ${version.join(".")}, too old`, {
      hint: HINT,
    });
  }
  return { executable: executable || located, version: version.join("."), requested };
}
