/** Plan search (pure core): the policy interface, SRA-MCTS and the CoT baseline, the tree and its math. */
export { backpropagate } from "./backpropagate.js";
export { bestPath } from "./best-path.js";
export { runCot } from "./cot.js";
export { COUNTER_KEYS, Counters } from "./counters.js";
export {
  addChildren,
  type Expansion,
  type ExpansionInput,
  expandLeaf,
  type ProposedChild,
} from "./expand.js";
export {
  applyIteration,
  type IterationInput,
  type IterationResult,
  runIteration,
} from "./iteration.js";
export { DiscardedIterationError, IterationWindow } from "./iteration-window.js";
export { runMcts } from "./mcts.js";
export { normaliseStep } from "./normalise-step.js";
export {
  DEFAULT_SEARCH_PARAMS,
  GUIDED_SCORE_REGEX,
  parseSearchParams,
  type SearchParams,
  searchParamsSchema,
} from "./params.js";
export type * from "./policy.js";
export { selectPath } from "./select.js";
export { PLAN_STRATEGIES, runStrategy } from "./strategies.js";
export {
  EmptyPlanError,
  planRecords,
  requestSeed,
  type SearchProblem,
  type StrategyContext,
  type StrategyOutcome,
  type StrategyRunner,
} from "./strategy.js";
export { addChild, createRoot, isOpen, pathTo, stepsOf } from "./tree.js";
export { nodeReward, ucb1 } from "./ucb1.js";
export { PendingPaths, ucb1WithVirtualLoss } from "./virtual-loss.js";
