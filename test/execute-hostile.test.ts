/**
 * Hostile samples through the real executor: each must end as a fail or timeout (never a pass), and
 * afterwards the pool still answers and no process is left behind.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Executor } from "../src/execute/executor.js";
import type { EncodedValue } from "../src/execute/types.js";
import { ROOT } from "./support/cli.js";
import { ADD_ONE, ADD_ONE_INPUTS, addOneExpected, leftovers } from "./support/executor.js";

let ex: Executor;
let expected: EncodedValue[];
let server: Server;
let port = 0;
let connections = 0;
const victimDir = path.join(ROOT, ".sra-cache", `hostile-${process.pid}`);
const victim = path.join(victimDir, "victim.txt");
const secretCache = path.join(ROOT, ".sra-cache", `hostile-secret-${process.pid}.txt`);

beforeAll(async () => {
  ex = await Executor.start({ workers: 2 });
  expected = await addOneExpected(ex);
  mkdirSync(victimDir, { recursive: true, mode: 0o777 });
  writeFileSync(victim, "untouched\n", { mode: 0o666 });
  // A stand-in for the expected-outputs cache: written as the cache is (owner-only).
  writeFileSync(secretCache, "[2, 3, 42]\n", { mode: 0o600 });
  server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await ex?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(victimDir, { recursive: true, force: true });
  rmSync(secretCache, { force: true });
});

function check(code: string, deadlineSeconds = 3, timeLimit = 1) {
  return ex.checkFunction({
    code,
    entryPoint: "add_one",
    inputs: ADD_ONE_INPUTS,
    expected,
    timeLimit,
    deadlineSeconds,
    atol: 0,
    oracle: null,
  });
}

const wrong = "\ndef add_one(x):\n    return 0\n";

interface Case {
  name: string;
  code: () => string;
  /** The verdict; two when either is right (a long unwind may outlast the deadline). */
  status: "fail" | "timeout" | ("fail" | "timeout")[];
  reason?: RegExp;
  deadline?: number;
}

const cases: Case[] = [
  { name: "an infinite loop at module level", code: () => "while True:\n    pass\n", status: "timeout" },
  {
    name: "an infinite loop inside the function",
    code: () => "def add_one(x):\n    while True:\n        pass\n",
    status: "fail",
    reason: /time limit exceeded/,
  },
  {
    // CPython checks for signals inside big-integer power, so the per-input limit stops it (a fail,
    // as in evalplus); the next case is a loop that truly ignores them.
    name: "a C-level big-integer power (10**10**8)",
    code: () => "def add_one(x):\n    return 10**10**8\n",
    status: "fail",
    reason: /time limit exceeded/,
  },
  {
    name: "a loop with every signal blocked (the per-input alarm never lands)",
    code: () =>
      "import signal\ndef add_one(x):\n    signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals))\n    while True:\n        pass\n",
    status: "timeout",
  },
  {
    // The parent stops at the per-input limit or at the deadline (the alarm may land between two
    // forks); its children, which have no alarm, fork until the cleanup kills them all.
    name: "a fork bomb (past the guard, through posix.fork)",
    code: () =>
      "import posix\ndef add_one(x):\n    while True:\n        try:\n            posix.fork()\n        except BaseException:\n            pass\n",
    status: ["fail", "timeout"],
  },
  {
    name: "a 16 GiB allocation",
    code: () => "def add_one(x):\n    b = bytearray(16 * 2**30)\n    return x + 1\n",
    status: "fail",
    reason: /exception/,
  },
  {
    name: "writing and deleting a file outside its directory",
    code: () =>
      `import _io, posix\ntry:\n    _io.open(${JSON.stringify(victim)}, "w").write("owned")\nexcept OSError:\n    pass\ntry:\n    posix.unlink(${JSON.stringify(victim)})\nexcept OSError:\n    pass\n_io.open(${JSON.stringify(path.join(victimDir, "new.txt"))}, "w").write("x")${wrong}`,
    status: "fail",
  },
  {
    name: "reading the expected outputs (memory, frames, the cache file)",
    code: () =>
      `import gc, sys, _io\ndef add_one(x):\n    for o in gc.get_objects():\n        if isinstance(o, list) and o[:3] == [2, 3, 42]:\n            return o[[1, 2, 41].index(x)]\n    f = sys._getframe()\n    while f:\n        for v in f.f_locals.values():\n            if isinstance(v, list) and len(v) == 3 and v[0] == 2:\n                return v[[1, 2, 41].index(x)]\n        f = f.f_back\n    return eval(_io.open(${JSON.stringify(secretCache)}).read())[[1, 2, 41].index(x)]\n`,
    status: "fail",
  },
  {
    name: "opening a socket",
    code: () =>
      `import socket\ndef add_one(x):\n    socket.create_connection(("127.0.0.1", ${port}), timeout=0.5).close()\n    return x + 1\n`,
    status: "fail",
    reason: /exception/,
  },
  {
    name: "killing its parent (and every process it may signal)",
    code: () =>
      "import posix, signal\nposix.kill(posix.getppid(), signal.SIGKILL)\nposix.kill(-1, signal.SIGKILL)\n" +
      ADD_ONE,
    status: "fail",
  },
  {
    name: "sys.exit(0) before the tests run",
    code: () => `import sys\nsys.exit(0)\n${ADD_ONE}`,
    status: "fail",
    reason: /SystemExit/,
  },
  {
    name: "os._exit(0) before the tests run",
    code: () => `import os\nos._exit(0)\n${ADD_ONE}`,
    status: "fail",
    reason: /exited with status 0/,
  },
  {
    name: "replacing builtins and the harness's helpers",
    code: () =>
      `import builtins, sys\nfor name in ("isinstance", "type", "len", "repr", "print", "hash", "id"):\n    setattr(builtins, name, lambda *a, **k: True)\nfor m in list(sys.modules.values()):\n    for attr in ("encode", "write_frame", "dumps"):\n        if hasattr(m, attr):\n            try:\n                setattr(m, attr, lambda *a, **k: None)\n            except Exception:\n                pass${wrong}`,
    status: "fail",
  },
  {
    name: "an object whose __eq__ always says True (evalplus would pass it)",
    code: () =>
      "class Yes:\n    def __eq__(self, other):\n        return True\ndef add_one(x):\n    return Yes()\n",
    status: "fail",
    reason: /wrong output/,
  },
  {
    name: "printing gigabytes",
    code: () =>
      "import posix\ndef add_one(x):\n    while True:\n        print('x' * 65536)\n        posix.write(1, b'y' * 65536)\n",
    status: "fail",
    reason: /time limit exceeded/,
  },
  {
    name: "deep recursion",
    code: () => "def add_one(x):\n    return add_one(x + 1) + 1\n",
    status: "fail",
    reason: /RecursionError/,
  },
  {
    name: "deep recursion with the recursion limit lifted",
    code: () => "import sys\nsys.setrecursionlimit(10**9)\ndef add_one(x):\n    return add_one(x + 1) + 1\n",
    status: ["fail", "timeout"],
  },
  {
    name: "threads left running, with a wrong answer",
    code: () =>
      `import threading, time\ndef spin():\n    while True:\n        time.sleep(0.01)\nthreading.Thread(target=spin).start()${wrong}`,
    status: "fail",
  },
];

describe("hostile samples", () => {
  it.each(cases)("$name: $status, the pool still works, nothing left behind", async (c) => {
    const verdict = await check(c.code(), c.deadline ?? 3);
    expect([c.status].flat(), JSON.stringify(verdict.failure)).toContain(verdict.status);
    if (c.reason) expect(`${verdict.failure?.reason} ${verdict.failure?.error ?? ""}`).toMatch(c.reason);
    expect(leftovers(ex)).toEqual([]);
    expect((await check(ADD_ONE)).status).toBe("pass");
  });

  it("left the host untouched: the file outside, the connection count, the executor's processes", () => {
    expect(readFileSync(victim, "utf8")).toBe("untouched\n");
    expect(existsSync(path.join(victimDir, "new.txt"))).toBe(false);
    expect(connections).toBe(0);
    const { zygotes, judges } = ex.processIds();
    expect(zygotes).toHaveLength(2);
    expect(judges).toHaveLength(2);
    for (const pid of [...zygotes, ...judges]) expect(statSync(`/proc/${pid}`).uid).toBe(process.getuid?.());
  });

  it("threads left running after a right answer: a pass, as in evalplus, and nothing left", async () => {
    const code = `import threading, time\ndef spin():\n    while True:\n        time.sleep(0.01)\nthreading.Thread(target=spin).start()\n${ADD_ONE}`;
    expect((await check(code)).status).toBe("pass");
    expect(leftovers(ex)).toEqual([]);
  });
});
