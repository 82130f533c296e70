/** Shared helpers for tests of the code executor: one small task, and "is anything left running?". */
import { readdirSync, readFileSync, statSync } from "node:fs";
import type { Executor } from "../../src/execute/executor.js";
import type { EncodedValue } from "../../src/execute/types.js";

const UID_BASE = 1_000_000_000;

/** The parent of a process, or null when it is gone. */
function parentOf(pid: number): number | null {
  try {
    // The command may hold spaces and parentheses: the fields after its closing one are plain.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

function isDescendantOf(pid: number, ancestor: number): boolean {
  for (let p: number | null = pid; p !== null && p > 1; p = parentOf(p)) if (p === ancestor) return true;
  return false;
}

/**
 * Processes whose uid is in the executor's sandbox range (the sandbox runs children as 1e9 + the
 * zygote's pid), left out those of another process's live executor: other test files (vitest runs
 * each in its own process) and other runs on the machine have sandboxes of their own. A sandbox
 * process whose zygote is gone counts, whoever started it: that is what a leak looks like.
 */
export function sandboxProcesses(): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const uid = statSync(`/proc/${name}`).uid;
      if (uid < UID_BASE) continue;
      const zygote = uid - UID_BASE;
      if (parentOf(zygote) !== null && !isDescendantOf(zygote, process.pid)) continue;
      found.push(Number(name));
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
