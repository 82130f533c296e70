/** SRA-MCTS search (pure core): parameters, the four phases, and the CoT baseline. */
export { backpropagate } from "./backpropagate.js";
export { bestPath } from "./best-path.js";
export { EmptyPlanError, requestSeed, type SearchContext, type SearchProblem } from "./context.js";
export { generateCotPlan } from "./cot-plan.js";
export { type ExpansionContext, expandLeaf } from "./expand.js";
export {
  DEFAULT_SEARCH_PARAMS,
  GUIDED_SCORE_REGEX,
  parseSearchParams,
  type SearchParams,
  searchParamsSchema,
} from "./params.js";
export { searchPlan } from "./search-plan.js";
export { selectPath } from "./select.js";
export { addChild, createRoot, isOpen, pathTo, stepsOf } from "./tree.js";
export { ucb1 } from "./ucb1.js";
