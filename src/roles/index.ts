/** The model's roles: prompts, reply parsers, and the calls that join them. */
export { type CleanedStep, cleanStep } from "./clean-step.js";
export { addUsage, countingLlm, emptyUsage } from "./counting-llm.js";
export { type DraftOutcome, draftPlan } from "./draft-plan.js";
export { type EvaluateOptions, evaluate } from "./evaluate.js";
export { type CodeExtraction, type CodeSource, extractCode } from "./extract-code.js";
export { type ImplementParams, type ImplementResult, implementPlan, NoCodeError } from "./implement.js";
export { createLlmPolicy, type LlmPolicyOptions } from "./llm-policy.js";
export { type ParsedPlan, parsePlanSteps } from "./parse-plan.js";
export { parseReflection, type Reflection } from "./parse-reflection.js";
export { parseScore, type ScoreParse } from "./parse-score.js";
export { generateCotPlan, planWithLlm, type SearchContext, searchPlan } from "./plan-with-llm.js";
export {
  loadPromptSet,
  PROMPT_NAMES,
  PROMPT_PLACEHOLDERS,
  type PromptName,
  type PromptSet,
  type PromptTemplate,
  parsePromptFile,
  renderPrompt,
} from "./prompts.js";
export { type ProposeOutcome, propose } from "./propose.js";
export { type ReflectOutcome, reflect } from "./reflect.js";
export { callModel, type RoleContext, renderSiblings, renderSteps } from "./role-context.js";
