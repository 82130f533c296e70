/**
 * generate's worker on its own: one task through runProblem with an explicit WorkerContext (an engine
 * object, in-memory record files, a silent logger), no server and no run directory.
 */
import { describe, expect, it } from "vitest";
import { resolveGenerateConfig } from "../src/commands/generate.js";
import { LlmError } from "../src/errors.js";
import type { Llm } from "../src/llm/types.js";
import type { Engine } from "../src/run/engine.js";
import { createRunCounters, type StopCause } from "../src/run/summary.js";
import { WorkInProgress } from "../src/run/work-in-progress.js";
import { type RunAppenders, runProblem, type WorkerContext } from "../src/run/worker.js";
import type { RequestJournal } from "../src/run-dir/journal.js";
import type { RecordKind, RunRecord } from "../src/run-dir/records.js";
import type { PlanRecord, Problem, TreeRecord } from "../src/types.js";
import { silentLogger } from "../src/util/logger.js";
import { createRng } from "../src/util/rng.js";

const PROBLEM: Problem = { id: "p1", question: "Add two numbers.", line: 1, record: {} };

function memoryFiles(): { files: RunAppenders; written: [RecordKind, unknown][] } {
  const written: [RecordKind, unknown][] = [];
  const file = <K extends RecordKind>(kind: K) => ({
    append: async (record: RunRecord<K>) => {
      written.push([kind, record]);
    },
    close: async () => undefined,
  });
  return {
    files: {
      trees: file("trees"),
      plans: file("plans"),
      samples: file("samples"),
      failures: file("failures"),
    },
    written,
  };
}

async function config(stage: "plans" | "code" | "all", maxFailures: number | null) {
  const settings = { model: "gemma-2-2b", stage, input: { problems: "/tmp/p.jsonl" }, run: { maxFailures } };
  return (await resolveGenerateConfig({ out: "/tmp/never", settings }, {}, new Date(0))).config;
}

const usage = { calls: 3, promptTokens: 30, completionTokens: 6, byRole: { propose: 3 } };
const tree: TreeRecord = {
  id: "p1",
  nodes: [],
  bestPath: [0],
  stopReason: "end",
  iterations: 1,
  counters: {},
};
const plan: PlanRecord = {
  id: "p1",
  question: PROBLEM.question,
  steps: ["Add them."],
  reachedEnd: true,
  stopReason: "end",
  scores: [8],
  strategy: "mcts",
  usage,
  seconds: 1.25,
  counters: { "reflect.end": 1 },
};

async function context(engine: Engine, stage: "plans" | "all" = "all", maxFailures: number | null = 0.5) {
  const { files, written } = memoryFiles();
  const stops: [StopCause, string | undefined][] = [];
  const controller = new AbortController();
  let t = 0;
  const ctx: WorkerContext = {
    config: await config(stage, maxFailures),
    engine,
    llm: {} as Llm,
    rng: createRng(0),
    now: () => (t += 500),
    signal: controller.signal,
    files,
    counters: createRunCounters(),
    logger: silentLogger(),
    message: () => undefined,
    stop: (cause, detail) => stops.push([cause, detail]),
  };
  return { ctx, written, stops, controller };
}

const implementing: Engine["implement"] = async () => ({
  code: "def add(a, b):\n    return a + b",
  codeFrom: "fenced",
  usage: { calls: 1, promptTokens: 10, completionTokens: 5, byRole: { implement: 1 } },
  attempts: 1,
});

describe("runProblem (generate's worker)", () => {
  it("writes the tree, then the plan, then the sample with both stages' cost", async () => {
    const { ctx, written } = await context({ plan: async () => ({ tree, plan }), implement: implementing });
    await runProblem(ctx, { kind: "search", problem: PROBLEM });
    expect(written.map(([kind]) => kind)).toEqual(["trees", "plans", "samples"]);
    const sample = written[2]?.[1] as RunRecord<"samples">;
    expect(sample).toMatchObject({
      id: "p1",
      plan: "Step 1: Add them.",
      code: "def add(a, b):\n    return a + b",
    });
    // 1.25 s of search + 0.5 s of code (the clock moves 500 ms a reading).
    expect(sample.meta).toMatchObject({ calls: 4, promptTokens: 40, completionTokens: 11, seconds: 1.75 });
    expect(sample.meta.counters).toEqual({ "reflect.end": 1, codeAttempts: 1 });
    expect(ctx.counters).toMatchObject({ done: 1, samples: 1, plans: 1, calls: 4, steps: 1, reachedEnd: 1 });
  });

  it("with --stage plans stops after the plan", async () => {
    const { ctx, written } = await context(
      { plan: async () => ({ tree, plan }), implement: implementing },
      "plans",
    );
    await runProblem(ctx, { kind: "search", problem: PROBLEM });
    expect(written.map(([kind]) => kind)).toEqual(["trees", "plans"]);
    expect(ctx.counters).toMatchObject({ done: 1, samples: 0, calls: 3 });
  });

  it("records a failure with its kind and hint, and stops the run past --max-failures", async () => {
    const failing: Engine = {
      plan: async () => {
        throw new LlmError("HTTP 503", { status: 503 });
      },
      implement: implementing,
    };
    const { ctx, written, stops } = await context(failing, "all", 0);
    await runProblem(ctx, { kind: "search", problem: PROBLEM });
    expect(written).toHaveLength(1);
    expect(written[0]?.[0]).toBe("failures");
    expect(written[0]?.[1]).toMatchObject({ id: "p1", stage: "plans", kind: "llm-503" });
    expect(stops).toEqual([["max-failures", "1 problems failed (--max-failures 0)"]]);
  });

  it("counts a running problem's answered calls for the progress line, then adds them to the finished", async () => {
    const work = new WorkInProgress();
    const seen: number[][] = [];
    const reply = { text: "ok", finishReason: "stop", promptTokens: 1, completionTokens: 1 };
    const engine: Engine = {
      plan: async (_p, pc) => {
        for (let i = 0; i < 3; i++) {
          await pc.llm.complete({ purpose: "propose", messages: [] });
          seen.push(work.runningCalls());
        }
        return { tree, plan };
      },
      implement: async (_p, _s, pc) => {
        await pc.llm.complete({ purpose: "implement", messages: [] });
        return implementing(_p, _s, pc);
      },
    };
    const { ctx } = await context(engine);
    ctx.llm = { complete: async () => reply };
    ctx.work = work;
    await runProblem(ctx, { kind: "search", problem: PROBLEM });
    expect(seen).toEqual([[1], [2], [3]]);
    expect(work.runningCalls()).toEqual([]);
    expect(work).toMatchObject({ finishedProblems: 1, finishedCalls: 4 });
  });

  it.each<[string, "written" | "failed" | "stopped", string[]]>([
    ["a sample written", "written", ["p1"]],
    ["a failure recorded", "failed", ["p1"]],
    ["the run stopped", "stopped", []],
  ])(
    "the problem's journal is finished once its outcome is on disk: %s",
    async (_name, outcome, finished) => {
      const finishedUnits: string[] = [];
      const units: string[] = [];
      const journal: RequestJournal = {
        unit: (id, llm) => {
          units.push(id);
          return { llm, now: () => 0 };
        },
        finish: async (id) => {
          finishedUnits.push(id);
        },
        stats: () => ({ replayed: 0, recorded: 0, resumedUnits: 0, pruned: 0, dropped: 0 }),
        close: async () => undefined,
      };
      let abort: () => void = () => undefined;
      const engine: Engine = {
        plan: async () => {
          if (outcome === "written") return { tree, plan };
          if (outcome === "stopped") abort();
          throw new LlmError("HTTP 500", { status: 500 });
        },
        implement: implementing,
      };
      const { ctx, controller } = await context(engine);
      abort = () => controller.abort();
      ctx.journal = journal;
      await runProblem(ctx, { kind: "search", problem: PROBLEM });
      expect(units).toEqual(["p1"]);
      expect(finishedUnits).toEqual(finished);
    },
  );

  it("a problem in flight when the run stops is dropped, not failed", async () => {
    let stopRun: () => void = () => undefined;
    const engine: Engine = {
      plan: async () => {
        stopRun();
        throw new Error("aborted");
      },
      implement: implementing,
    };
    const { ctx, written, controller } = await context(engine);
    stopRun = () => controller.abort();
    await runProblem(ctx, { kind: "search", problem: PROBLEM });
    expect(written).toEqual([]);
    expect(ctx.counters.failed).toBe(0);
  });
});
