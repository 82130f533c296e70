/**
 * What a training example says (paper section 3.3): the question is the input; the plan and the code are
 * the output, as the plan's `Step n:` lines then the code in a ```python fence. With `withPlan: false`
 * (the ablation of section 6) the output is the code alone. Pure: no I/O.
 */
import { formatPlan } from "../types.js";
import { fenceCode } from "./code-blocks.js";

/** A record to export, from our samples or from a reference row. */
export interface ExportItem {
  id: string;
  /** The problem text alone (no instruction). */
  question: string;
  steps: readonly string[];
  /** The plan as `Step n:` lines (empty when there is none). */
  plan: string;
  /** The code (unfenced), or null when none was found. */
  code: string | null;
  /**
   * A reference row's published answer, used as the output as is when it cannot be split into a plan
   * and Python code (plans without code, solutions in Java or C++). Undefined for our own samples.
   */
  verbatim?: string;
}

/** One training example, independent of the output format. */
export interface TrainingPair {
  id: string;
  instruction: string | null;
  question: string;
  response: string;
}

export type SkipReason = "no-code" | "no-plan";

export type PairResult = { ok: true; pair: TrainingPair } | { ok: false; reason: SkipReason };

/** The plan text of an item: its `plan`, or its steps formatted when the plan string is empty. */
export function planText(item: Pick<ExportItem, "plan" | "steps">): string {
  const plan = item.plan.trim();
  if (plan !== "") return plan;
  return formatPlan(item.steps.map((s) => s.trim()).filter((s) => s !== ""));
}

/** The assistant's reply: the plan, a blank line, the fenced code; or only the fenced code. */
export function formatResponse(plan: string | null, code: string): string {
  const fenced = fenceCode(code);
  return plan ? `${plan}\n\n${fenced}` : fenced;
}

export function buildPair(
  item: ExportItem,
  options: { withPlan: boolean; instruction: string | null },
): PairResult {
  const code = item.code !== null && item.code.trim() !== "" ? item.code : null;
  let response: string;
  if (!options.withPlan) {
    if (code === null) return { ok: false, reason: "no-code" };
    response = formatResponse(null, code);
  } else {
    const plan = planText(item);
    if (code !== null && plan !== "") response = formatResponse(plan, code);
    else if (item.verbatim !== undefined && item.verbatim.trim() !== "") response = item.verbatim.trim();
    else if (code === null) return { ok: false, reason: "no-code" };
    else return { ok: false, reason: "no-plan" };
  }
  return {
    ok: true,
    pair: { id: item.id, instruction: options.instruction, question: item.question.trim(), response },
  };
}

/** The user's turn as LLaMA-Factory builds it from alpaca columns: instruction, newline, input. */
export function userText(pair: TrainingPair): string {
  return pair.instruction ? `${pair.instruction}\n${pair.question}` : pair.question;
}
