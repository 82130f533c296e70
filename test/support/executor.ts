/** Shared helpers for tests of the code executor: one small task, and "is anything left running?". */
import { readdirSync, readFileSync, statSync } from "node:fs";
import type { Executor } from "../../src/execute/executor.js";
import type { EncodedValue } from "../../src/execute/types.js";

/** The sandbox's uids start here: a child runs as UID_BASE + its zygote's pid (harness/sra_sandbox.py). */
const UID_BASE = 1_000_000_000;

/**
 * Processes running as the sandbox uid of one of these zygotes. Only this executor's: other executors
 * on the machine (another test file's, another suite's) have other zygotes, so other uids.
 */
export function sandboxProcesses(zygotes: readonly number[]): number[] {
  const uids = new Set(zygotes.map((pid) => UID_BASE + pid));
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (uids.has(statSync(`/proc/${name}`).uid)) found.push(Number(name));
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

/** Every zygote pid seen per executor: a hostile sample may get its zygote replaced mid-check. */
const seenZygotes = new WeakMap<Executor, Set<number>>();

/** Remember the executor's zygotes now (before a check that may get one replaced). */
export function noteZygotes(executor: Executor): Set<number> {
  const seen = seenZygotes.get(executor) ?? new Set<number>();
  seenZygotes.set(executor, seen);
  for (const pid of executor.processIds().zygotes) seen.add(pid);
  return seen;
}

/**
 * Nothing the executor ran is still alive: no process with the sandbox uid of any zygote it has had,
 * no child of a live zygote. Other executors on the machine have other uids, so they do not count.
 */
export function leftovers(executor: Executor): number[] {
  const seen = noteZygotes(executor);
  const { zygotes } = executor.processIds();
  return [...sandboxProcesses([...seen]), ...zygotes.flatMap(childrenOf)];
}

export const ADD_ONE = "def add_one(x):\n    return x + 1\n";
export const ADD_ONE_INPUTS = "[[1], [2], [41]]";

/** Expected outputs of ADD_ONE on ADD_ONE_INPUTS, recorded through the executor. */
export async function addOneExpected(executor: Executor): Promise<EncodedValue[]> {
  const run = await executor.recordFunction({ code: ADD_ONE, entryPoint: "add_one", inputs: ADD_ONE_INPUTS });
  return run.outputs;
}
