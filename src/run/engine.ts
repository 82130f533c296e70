/**
 * The engine `generate` drives: plan a problem (SRA-MCTS or the CoT baseline) and implement a plan.
 * A thin adapter over src/search and src/roles so the orchestration depends on two calls, and a
 * library user can swap in their own.
 */
import type { Llm } from "../llm/types.js";
import { type ImplementResult, implementPlan } from "../roles/implement.js";
import { planWithLlm } from "../roles/plan-with-llm.js";
import type { PromptSet } from "../roles/prompts.js";
import type { SearchParams } from "../search/params.js";
import type { PlanRecord, Strategy, TreeRecord } from "../types.js";
import type { Rng } from "../util/rng.js";
import type { CodeParams } from "./config.js";

export interface EngineProblem {
  id: string;
  question: string;
}

export interface Engine {
  plan(
    problem: EngineProblem,
    ctx: { llm: Llm; rng: Rng; signal: AbortSignal; now: () => number },
  ): Promise<{ tree: TreeRecord; plan: PlanRecord }>;
  implement(
    problem: EngineProblem,
    steps: readonly string[],
    ctx: {
      llm: Llm;
      rng: Rng;
      signal: AbortSignal;
      /** generate's compile check (null: compiles): code that does not compile is asked again. */
      checkCode?: (code: string) => Promise<string | null>;
    },
  ): Promise<ImplementResult>;
}

export interface EngineConfig {
  strategy: Strategy;
  search: SearchParams;
  code: CodeParams;
}

export function createEngine(config: EngineConfig, prompts: PromptSet): Engine {
  return {
    plan: (problem, ctx) =>
      planWithLlm(config.strategy, problem, {
        llm: ctx.llm,
        rng: ctx.rng,
        prompts,
        params: config.search,
        now: ctx.now,
        signal: ctx.signal,
      }),
    implement: (problem, steps, ctx) => {
      // Per-attempt seeds from the problem's own stream: reproducible on servers that honour seeds.
      const rng = ctx.rng.fork("implement");
      const seeds: number[] = [];
      return implementPlan(problem, steps, {
        llm: ctx.llm,
        prompts,
        params: config.code,
        signal: ctx.signal,
        ...(ctx.checkCode ? { checkCode: ctx.checkCode } : {}),
        seedFor: (attempt) => {
          while (seeds.length <= attempt) seeds.push(rng.int(0x7fffffff));
          return seeds[attempt] as number;
        },
      });
    },
  };
}
