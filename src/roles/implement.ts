/**
 * Plan to code (paper section 3.2): the model, as an implementer that follows the plan strictly,
 * writes Python. A reply without code, or (with generate's code checks) with code that does not
 * compile, is asked again `retries` times; then ParseError("no-code" / "compile-error"), which the run
 * records as a failure (never an empty sample). Code cut off by max tokens
 * (finish reason "length" and no closed fence) is treated like no code: a truncated function is
 * not training data.
 */
import { z } from "zod";
import { ParseError } from "../errors.js";
import type { Llm } from "../llm/types.js";
import { type CodeStyle, formatPlan, type Usage } from "../types.js";
import { readDefaultsAs } from "../util/config-defaults.js";
import { countingLlm } from "./counting-llm.js";
import { type CodeSource, extractCode } from "./extract-code.js";
import type { PromptSet } from "./prompts.js";
import { renderPrompt } from "./prompts.js";
import { excerpt } from "./text.js";

/**
 * Max tokens of the code reply (--max-tokens), and the extra attempts for a reply without code: the
 * code stage's defaults in configs/defaults.yaml (generate.code), for callers outside generate.
 */
const CODE_DEFAULTS = readDefaultsAs(
  "generate",
  z
    .object({
      code: z.object({ maxTokens: z.number().int().min(16), retries: z.number().int().min(0) }).loose(),
    })
    .loose(),
).code;
export const DEFAULT_CODE_MAX_TOKENS: number = CODE_DEFAULTS.maxTokens;
export const DEFAULT_CODE_RETRIES: number = CODE_DEFAULTS.retries;

export interface ImplementParams {
  temperature: number;
  topP: number;
  maxTokens: number;
  /** Extra attempts when a reply has no usable code. */
  retries: number;
}

export interface ImplementResult {
  code: string;
  codeFrom: CodeSource;
  usage: Usage;
  attempts: number;
  /** The code was compiled by `checkCode` (and compiles); absent or false when none was asked for. */
  checked?: boolean;
  /** Attempts whose code did not compile (asked again). */
  compileFailures?: number;
}

/**
 * ParseError("no-code") with what the failed attempts cost, so the run can still account for it;
 * kind "compile-error" when the last attempt's code did not compile.
 */
export class NoCodeError extends ParseError {
  readonly usage: Usage;
  readonly attempts: number;
  constructor(
    message: string,
    usage: Usage,
    attempts: number,
    kind: "no-code" | "compile-error" = "no-code",
  ) {
    super(kind, message);
    this.usage = usage;
    this.attempts = attempts;
  }
}

export async function implementPlan(
  problem: { id: string; question: string },
  steps: readonly string[],
  ctx: {
    llm: Llm;
    prompts: PromptSet;
    params: ImplementParams;
    signal?: AbortSignal;
    /** Optional per-attempt seed (e.g. from the problem's Rng) for reproducible sampling. */
    seedFor?: (attempt: number) => number;
    /** plain (prompts/implement.md, the default) or modular (prompts/implement-modular.md). */
    style?: CodeStyle;
    /**
     * Compile the code (generate's code checks): null when it compiles, else why not; code that does
     * not compile is asked again like a reply without code.
     */
    checkCode?: (code: string) => Promise<string | null>;
  },
): Promise<ImplementResult> {
  if (steps.length === 0) throw new ParseError("no-plan", `${problem.id}: cannot implement an empty plan`);
  const { llm, usage } = countingLlm(ctx.llm);
  const template = ctx.style === "modular" ? ctx.prompts["implement-modular"] : ctx.prompts.implement;
  const messages = renderPrompt(template, {
    question: problem.question,
    plan: formatPlan(steps),
  });
  const problems: string[] = [];
  const attempts = ctx.params.retries + 1;
  let compileFailures = 0;
  let lastDidNotCompile = false;
  for (let attempt = 0; attempt < attempts; attempt++) {
    ctx.signal?.throwIfAborted();
    const reply = await llm.complete(
      {
        purpose: "implement",
        messages,
        temperature: ctx.params.temperature,
        topP: ctx.params.topP,
        maxTokens: ctx.params.maxTokens,
        seed: ctx.seedFor?.(attempt),
      },
      ctx.signal,
    );
    const found = extractCode(reply.text);
    if ("error" in found) {
      problems.push(`${found.error} ("${excerpt(reply.text, 60)}")`);
      continue;
    }
    lastDidNotCompile = false;
    if (reply.finishReason === "length" && found.from !== "fenced") {
      problems.push(`the code was cut off at ${ctx.params.maxTokens} tokens`);
      continue;
    }
    const why = ctx.checkCode ? await ctx.checkCode(found.code) : null;
    if (why !== null) {
      compileFailures++;
      lastDidNotCompile = true;
      problems.push(`the code does not compile (${why})`);
      continue;
    }
    return {
      code: found.code,
      codeFrom: found.from,
      usage: usage(),
      attempts: attempt + 1,
      checked: ctx.checkCode !== undefined,
      compileFailures,
    };
  }
  throw new NoCodeError(
    `${problem.id}: no usable Python code after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${problems.join("; ")}`,
    usage(),
    attempts,
    lastDidNotCompile ? "compile-error" : "no-code",
  );
}
