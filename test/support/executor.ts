/** Shared helpers for tests of the code executor: one small task, and "is anything left running?". */
import { readdirSync, readFileSync, statSync } from "node:fs";
import type { Executor } from "../../src/execute/executor.js";
import type { EncodedValue } from "../../src/execute/types.js";

/** Processes whose uid is in the executor's sandbox range (the sandbox runs children as 1e9 + pid). */
export function sandboxProcesses(): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (statSync(`/proc/${name}`).uid >= 1_000_000_000) found.push(Number(name));
    } catch {
      // gone
    }
  }
  return found;
}

/** The live children of a process (every thread's children list). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

/** Nothing the executor ran is still alive: no sandbox-uid process, no child of a zygote. */
export function leftovers(executor: Executor): number[] {
  const { zygotes } = executor.processIds();
  return [...sandboxProcesses(), ...zygotes.flatMap(childrenOf)];
}

export const ADD_ONE = "def add_one(x):\n    return x + 1\n";
export const ADD_ONE_INPUTS = "[[1], [2], [41]]";

/** Expected outputs of ADD_ONE on ADD_ONE_INPUTS, recorded through the executor. */
export async function addOneExpected(executor: Executor): Promise<EncodedValue[]> {
  const run = await executor.recordFunction({ code: ADD_ONE, entryPoint: "add_one", inputs: ADD_ONE_INPUTS });
  return run.outputs;
}
