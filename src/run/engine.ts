/**
 * The engine `generate` drives: plan a problem (with the run's strategy) and implement a plan.
 * A thin adapter over src/search and src/roles so the orchestration depends on two calls, and a
 * library user can swap in their own.
 */
import type { Llm } from "../llm/types.js";
import { implementQuestion } from "../problems/problem-tests.js";
import { type ImplementResult, implementPlan } from "../roles/implement.js";
import { planWithLlm } from "../roles/plan-with-llm.js";
import type { PromptSet } from "../roles/prompts.js";
import type { SearchParams } from "../search/params.js";
import type { CodeChecks } from "../search/policy.js";
import type { PlanRecord, ProblemTests, Strategy, TreeRecord } from "../types.js";
import type { Rng } from "../util/rng.js";
import type { CodeParams } from "./config.js";

export interface EngineProblem {
  id: string;
  question: string;
  /** Its tests, when it carries some: the code written inside the search is asked to match them. */
  tests?: ProblemTests;
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

export interface EngineOptions {
  /**
   * The code checks a problem offers its search (a Verifier over its tests, an ExampleRunner over its
   * examples), or undefined when it has none: best-of-n, self-consistency, revision and --verify-end
   * select by them. The edge adapter over the executor is wired here.
   */
  checks?: (problem: EngineProblem) => CodeChecks | undefined;
}

export function createEngine(config: EngineConfig, prompts: PromptSet, options: EngineOptions = {}): Engine {
  return {
    plan: (problem, ctx) => {
      const checks = options.checks?.(problem);
      // The search plans from the question; its code, like the code stage's, sees the first test when
      // the question does not name the function the tests call.
      const asked = implementQuestion(problem.question, problem.tests);
      return planWithLlm(
        config.strategy,
        { id: problem.id, question: problem.question },
        {
          ...(checks ? { checks } : {}),
          ...(asked !== problem.question ? { implementQuestion: asked } : {}),
          llm: ctx.llm,
          rng: ctx.rng,
          prompts,
          params: config.search,
          now: ctx.now,
          signal: ctx.signal,
          code: config.code,
        },
      );
    },
    implement: (problem, steps, ctx) => {
      // Per-attempt seeds from the problem's own stream: reproducible on servers that honour seeds.
      const rng = ctx.rng.fork("implement");
      const seeds: number[] = [];
      return implementPlan(problem, steps, {
        llm: ctx.llm,
        prompts,
        params: config.code,
        style: config.code.style,
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
