/**
 * The plan strategies by name (`--strategy`). A new strategy (beam search, best-of-N, ...) is a file
 * of its own written against the roles it needs (policy.ts), one line here and one value of
 * strategySchema in src/types.ts.
 */
import type { Strategy } from "../types.js";
import { runBeam } from "./beam.js";
import { runBestOfN } from "./best-of-n.js";
import { runCot } from "./cot.js";
import { runMcts } from "./mcts.js";
import type { PlanPolicy } from "./policy.js";
import { runRevision } from "./revision.js";
import { runSelfConsistency } from "./self-consistency.js";
import { runSelfRefine } from "./self-refine.js";
import type { SearchProblem, StrategyContext, StrategyOutcome, StrategyRunner } from "./strategy.js";

export const PLAN_STRATEGIES: { readonly [S in Strategy]: StrategyRunner<PlanPolicy> } = {
  mcts: runMcts,
  cot: runCot,
  beam: runBeam,
  "best-of-n": runBestOfN,
  "self-consistency": runSelfConsistency,
  "self-refine": runSelfRefine,
  revision: runRevision,
};

export function runStrategy(
  strategy: Strategy,
  problem: SearchProblem,
  ctx: StrategyContext<PlanPolicy>,
): Promise<StrategyOutcome> {
  return PLAN_STRATEGIES[strategy](problem, ctx);
}
