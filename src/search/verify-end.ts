/**
 * Execution-verified search (--verify-end, beyond the paper): when SRA-MCTS reaches a terminal plan
 * (a reflection said <end>), implement it at once and run the problem's tests. A plan that passes is
 * accepted and ends the search, its code going with it to the sample. A plan that fails is not: the
 * leaf gets reward 0, which is backpropagated (eq. 6a/6b) so its line loses value, the leaf is closed
 * ("failed-tests"), and the search goes on within its iteration and time budget. Without the flag,
 * or for a problem without tests, the first <end> is accepted as the paper does.
 *
 * Kept apart from mcts.ts so the search loop needs one call at its terminal (acceptEnd) and one when
 * it builds its outcome (verifiedCode).
 */
import type { SearchNode } from "../types.js";
import { backpropagate } from "./backpropagate.js";
import type { SearchParams } from "./params.js";
import type { MctsPolicy, TestVerdict } from "./policy.js";
import { STRATEGY_COUNTER_KEYS } from "./strategy-counters.js";
import { pathTo, stepsOf } from "./tree.js";

/** The terminals tried in one search: each leaf's code and verdict, by node id. */
export type TriedTerminals = Map<number, { code: string | null; tests?: TestVerdict }>;

/**
 * Whether the terminal `leaf` is accepted. With --verify-end and tests, its plan is implemented and
 * tested; a failure gets reward 0 (backpropagated), the leaf is closed and false is returned.
 */
export async function acceptEnd(
  policy: MctsPolicy,
  nodes: SearchNode[],
  leaf: SearchNode,
  o: {
    question: string;
    params: Pick<SearchParams, "verifyEnd" | "alpha">;
    tried: TriedTerminals;
    seed: (label: string) => number;
    counters: { add(key: string): void };
    signal?: AbortSignal;
  },
): Promise<boolean> {
  if (!o.params.verifyEnd) return true;
  if (!policy.verifier || !policy.implement) {
    if (o.tried.size === 0) o.counters.add(STRATEGY_COUNTER_KEYS.verifyUntested);
    return true;
  }
  o.counters.add(STRATEGY_COUNTER_KEYS.verifyTried);
  const steps = stepsOf(nodes, pathTo(nodes, leaf.id));
  const written = await policy.implement(
    { question: o.question, steps, seed: o.seed(`verify:implement:${leaf.id}`) },
    o.signal,
  );
  for (const e of written.events) o.counters.add(e);
  const tests =
    written.code === null ? undefined : await policy.verifier.verify({ code: written.code }, o.signal);
  o.tried.set(leaf.id, { code: written.code, ...(tests ? { tests } : {}) });
  if (tests?.status === "pass") return true;
  o.counters.add(STRATEGY_COUNTER_KEYS.verifyFailed);
  leaf.terminal = false;
  leaf.deadEnd = "failed-tests";
  leaf.value = 0;
  backpropagate({ nodes }, leaf.id, o.params.alpha);
  return false;
}

/** The code and test result of the plan's last node, when it was a terminal tried (else nothing). */
export function verifiedCode(
  tried: TriedTerminals,
  bestPath: readonly number[],
): { code?: string; tests?: TestVerdict } {
  const hit = tried.get(bestPath.at(-1) ?? -1);
  if (!hit || hit.code === null) return {};
  return { code: hit.code, ...(hit.tests ? { tests: hit.tests } : {}) };
}
