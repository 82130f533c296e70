/**
 * Build run directories like `sra generate` writes (config.json, trees/plans/samples/failures JSONL,
 * summary.json) from records made here. Every record is checked against the zod schemas of
 * src/types.ts before it is written, so a fixture cannot drift from the contract unnoticed.
 */
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import {
  type Failure,
  failureSchema,
  formatPlan,
  type PlanRecord,
  planRecordSchema,
  type Sample,
  type ScoreForm,
  type SearchNode,
  type StopReason,
  type Strategy,
  sampleSchema,
  type TreeRecord,
  treeRecordSchema,
} from "../../src/types.js";

export interface StepSpec {
  step: string;
  score: number | null;
  parsedAs?: ScoreForm;
  regenerated?: number;
  reflection?: string;
}

export interface TreeSpec {
  id: string;
  /** The chosen path below the root. */
  path: StepSpec[];
  /** Other expanded nodes: each hangs under the path node at `parentDepth` (0 = the root). */
  siblings?: (StepSpec & { parentDepth: number })[];
  stopReason?: StopReason;
  iterations?: number;
  counters?: Record<string, number>;
}

/** A search tree: a root, the chosen path, and the siblings; node ids in creation order. */
export function makeTree(spec: TreeSpec): TreeRecord {
  const nodes: SearchNode[] = [];
  const add = (parentId: number | null, depth: number, s: StepSpec | null): SearchNode => {
    const node: SearchNode = {
      id: nodes.length,
      parentId,
      depth,
      step: s?.step ?? "",
      reflection: s?.reflection ?? (s ? "Next, handle the remaining cases." : null),
      score: s
        ? {
            raw: s.score === null ? "no score" : `Score: ${s.score}`,
            value: s.score,
            parsedAs: s.score === null ? null : (s.parsedAs ?? "labelled"),
            attempts: 1,
          }
        : { raw: null, value: null, parsedAs: null, attempts: 0 },
      visits: 1,
      value: s?.score === null || s === null ? 0 : s.score / 10,
      terminal: false,
      regenerated: s?.regenerated ?? 0,
      children: [],
    };
    nodes.push(node);
    if (parentId !== null) nodes[parentId]!.children.push(node.id);
    return node;
  };
  const root = add(null, 0, null);
  const pathIds = [root.id];
  for (const [i, s] of spec.path.entries()) pathIds.push(add(pathIds[i]!, i + 1, s).id);
  for (const sib of spec.siblings ?? []) add(pathIds[sib.parentDepth]!, sib.parentDepth + 1, sib);
  const last = nodes[pathIds[pathIds.length - 1]!]!;
  if (spec.stopReason === "end") last.reflection = "<end>";
  last.terminal = spec.stopReason === "end";
  return treeRecordSchema.parse({
    id: spec.id,
    nodes,
    bestPath: pathIds,
    stopReason: spec.stopReason ?? "end",
    iterations: spec.iterations ?? nodes.length - 1,
    counters: spec.counters ?? {},
  });
}

export interface PlanSpec {
  id: string;
  question?: string;
  steps: string[];
  scores?: (number | null)[];
  reachedEnd?: boolean;
  stopReason?: StopReason;
  strategy?: Strategy;
  calls?: number;
  promptTokens?: number;
  completionTokens?: number;
  byRole?: Record<string, number>;
  seconds?: number;
  counters?: Record<string, number>;
}

export function makePlan(spec: PlanSpec): PlanRecord {
  return planRecordSchema.parse({
    id: spec.id,
    question: spec.question ?? `Question ${spec.id}: return the sum of a list of integers.`,
    steps: spec.steps,
    reachedEnd: spec.reachedEnd ?? true,
    stopReason: spec.stopReason ?? "end",
    scores: spec.scores ?? spec.steps.map(() => 7),
    strategy: spec.strategy ?? "mcts",
    usage: {
      calls: spec.calls ?? 10,
      promptTokens: spec.promptTokens ?? 1000,
      completionTokens: spec.completionTokens ?? 200,
      byRole: spec.byRole ?? {},
    },
    seconds: spec.seconds ?? 5,
    counters: spec.counters ?? {},
  });
}

export interface SampleSpec {
  id: string;
  question?: string;
  steps?: string[];
  /** Unfenced code; "" for a sample without code. */
  code?: string;
  model?: string;
  strategy?: Strategy;
  scores?: (number | null)[];
  calls?: number;
  promptTokens?: number;
  completionTokens?: number;
  seconds?: number;
  stopReason?: StopReason;
  reachedEnd?: boolean;
  codeFrom?: string;
  counters?: Record<string, number>;
}

export function makeSample(spec: SampleSpec): Sample {
  const steps = spec.steps ?? ["Read the list.", "Add the numbers up.", "Return the total."];
  return sampleSchema.parse({
    id: spec.id,
    question: spec.question ?? `Question ${spec.id}: return the sum of a list of integers.`,
    plan: formatPlan(steps),
    steps,
    code: spec.code ?? "def total(xs):\n    return sum(xs)",
    meta: {
      model: spec.model ?? "meta-llama/Llama-3.1-8B-Instruct",
      strategy: spec.strategy ?? "mcts",
      scores: spec.scores ?? steps.map(() => 7),
      calls: spec.calls ?? 12,
      promptTokens: spec.promptTokens ?? 1200,
      completionTokens: spec.completionTokens ?? 300,
      seconds: spec.seconds ?? 6,
      stopReason: spec.stopReason ?? "end",
      reachedEnd: spec.reachedEnd ?? true,
      ...(spec.codeFrom !== undefined ? { codeFrom: spec.codeFrom } : {}),
      counters: spec.counters ?? {},
    },
  });
}

export function makeFailure(f: Failure): Failure {
  return failureSchema.parse(f);
}

/**
 * A config.json like generate's: the fields export/stats read, and others they must ignore. Generate
 * writes the --model value as `model.name`; `presetKey: "preset"` writes it under a key sra does not
 * read (the served name then decides).
 */
export function makeConfig(
  options: {
    preset?: string;
    servedModel?: string;
    template?: string;
    strategy?: Strategy;
    presetKey?: "name" | "preset";
  } = {},
): Record<string, unknown> {
  return {
    version: 1,
    sraVersion: "0.1.0",
    createdAt: "2025-01-01T00:00:00.000Z",
    model: {
      [options.presetKey ?? "name"]: options.preset ?? "llama-3.1-8b",
      servedModel: options.servedModel ?? "meta-llama/Llama-3.1-8B-Instruct",
      systemRole: true,
      template: options.template ?? "llama3",
      known: true,
    },
    strategy: options.strategy ?? "mcts",
    stage: "all",
    seed: 0,
    search: { iterations: 8, branches: 3, c: 0.5, maxDepth: 6 },
    server: { baseUrl: "http://127.0.0.1:8000/v1" },
  };
}

export type RunFile = "trees" | "plans" | "samples" | "failures";

export interface RunFixture {
  config?: Record<string, unknown> | null;
  trees?: TreeRecord[];
  plans?: PlanRecord[];
  samples?: Sample[];
  failures?: Failure[];
  /** Written as summary.json when given (the end of a run). */
  summary?: Record<string, unknown>;
  /** Files to end with a torn, unterminated line, as a killed run leaves them. */
  tornTail?: RunFile[];
}

/** Write the run directory `dir` (created); files of absent record lists are not written. */
export async function writeRunFixture(dir: string, fixture: RunFixture): Promise<string> {
  await mkdir(dir, { recursive: true });
  if (fixture.config !== null) {
    await writeFile(
      path.join(dir, "config.json"),
      `${JSON.stringify(fixture.config ?? makeConfig(), null, 2)}\n`,
    );
  }
  const lists: [RunFile, unknown[] | undefined][] = [
    ["trees", fixture.trees],
    ["plans", fixture.plans],
    ["samples", fixture.samples],
    ["failures", fixture.failures],
  ];
  for (const [name, records] of lists) {
    if (records === undefined) continue;
    const file = path.join(dir, `${name}.jsonl`);
    await writeFile(file, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
    if (fixture.tornTail?.includes(name)) await appendFile(file, `{"id":"torn-${name}","ques`);
  }
  if (fixture.summary)
    await writeFile(path.join(dir, "summary.json"), `${JSON.stringify(fixture.summary)}\n`);
  return dir;
}

/**
 * The run the stats tests check number by number (test/stats-aggregate.test.ts spells the expected
 * values out): p1 and p2 done, p3 failed at code (no-code), p4 failed twice at plans, p5 killed after
 * its plan; p1 also has an early failure it recovered from.
 */
export function standardRun(): RunFixture {
  const p1Counters = { "score.labelled": 4, "score.bare": 1, "step.regenerated": 2 };
  const p2Counters = { "score.labelled": 1, "score.fallback": 1, "score.retry": 2 };
  const p3Counters = { "score.guided": 4 };
  const p5Counters = { "score.bare": 1, "length.truncated": 1 };
  return {
    config: makeConfig(),
    trees: [
      makeTree({
        id: "p1",
        path: [
          { step: "Sort the array.", score: 7 },
          { step: "Walk two pointers inwards.", score: 8, regenerated: 1 },
          { step: "Return the best pair.", score: 9, parsedAs: "bare" },
        ],
        siblings: [
          { parentDepth: 0, step: "Try every pair.", score: 4 },
          { parentDepth: 1, step: "Use a hash map.", score: 2, regenerated: 1 },
        ],
        stopReason: "end",
        counters: p1Counters,
      }),
      makeTree({
        id: "p2",
        path: [
          { step: "Count the characters.", score: 6 },
          { step: "Build the answer.", score: null },
        ],
        siblings: [{ parentDepth: 0, step: "Recurse on halves.", score: 5, parsedAs: "fallback" }],
        stopReason: "iterations",
        counters: p2Counters,
      }),
      makeTree({
        id: "p3",
        path: [
          { step: "Model the grid as a graph.", score: 5, parsedAs: "guided" },
          { step: "Run BFS from the start.", score: 5, parsedAs: "guided" },
          { step: "Track visited cells.", score: 6, parsedAs: "guided" },
          { step: "Return the distance.", score: 7, parsedAs: "guided" },
        ],
        stopReason: "end",
        counters: p3Counters,
      }),
      makeTree({
        id: "p5",
        path: [{ step: "Think about the constraints.", score: 3, parsedAs: "bare" }],
        stopReason: "time",
        counters: p5Counters,
      }),
    ],
    plans: [
      makePlan({
        id: "p1",
        steps: ["Sort the array.", "Walk two pointers inwards.", "Return the best pair."],
        scores: [7, 8, 9],
        reachedEnd: true,
        stopReason: "end",
        calls: 20,
        promptTokens: 1000,
        completionTokens: 300,
        byRole: { propose: 6, reflect: 6, evaluate: 8 },
        seconds: 10,
        counters: p1Counters,
      }),
      makePlan({
        id: "p2",
        steps: ["Count the characters.", "Build the answer."],
        scores: [6, null],
        reachedEnd: false,
        stopReason: "iterations",
        calls: 30,
        promptTokens: 2000,
        completionTokens: 500,
        byRole: { propose: 10, reflect: 8, evaluate: 12 },
        seconds: 20,
        counters: p2Counters,
      }),
      makePlan({
        id: "p3",
        steps: [
          "Model the grid as a graph.",
          "Run BFS from the start.",
          "Track visited cells.",
          "Return the distance.",
        ],
        scores: [5, 5, 6, 7],
        reachedEnd: true,
        stopReason: "end",
        calls: 40,
        promptTokens: 3000,
        completionTokens: 700,
        byRole: { propose: 12, reflect: 12, evaluate: 16 },
        seconds: 30,
        counters: p3Counters,
      }),
      makePlan({
        id: "p5",
        steps: ["Think about the constraints."],
        scores: [3],
        reachedEnd: false,
        stopReason: "time",
        calls: 10,
        promptTokens: 500,
        completionTokens: 100,
        byRole: { propose: 3, reflect: 3, evaluate: 4 },
        seconds: 5,
        counters: p5Counters,
      }),
    ],
    samples: [
      makeSample({
        id: "p1",
        steps: ["Sort the array.", "Walk two pointers inwards.", "Return the best pair."],
        code: "def best_pair(nums, target):\n    nums.sort()\n    i, j = 0, len(nums) - 1\n    return i, j",
        scores: [7, 8, 9],
        calls: 21,
        promptTokens: 1200,
        completionTokens: 400,
        seconds: 12,
        codeFrom: "fenced",
        counters: { ...p1Counters, "implement.retry": 1 },
      }),
      makeSample({
        id: "p2",
        steps: ["Count the characters.", "Build the answer."],
        code: "from collections import Counter\n\ndef answer(s):\n    return Counter(s).most_common(1)[0][0]",
        scores: [6, null],
        calls: 33,
        promptTokens: 2300,
        completionTokens: 650,
        seconds: 24,
        stopReason: "iterations",
        reachedEnd: false,
        codeFrom: "unterminated",
        counters: { "implement.retry": 2 },
      }),
    ],
    failures: [
      makeFailure({ id: "p1", stage: "plans", kind: "parse", error: "no step in the reply", attempts: 3 }),
      makeFailure({
        id: "p3",
        stage: "code",
        kind: "no-code",
        error: "no code block in the reply",
        attempts: 2,
      }),
      makeFailure({ id: "p4", stage: "plans", kind: "llm", error: "HTTP 500 from the server", attempts: 4 }),
      makeFailure({ id: "p4", stage: "plans", kind: "timeout", error: "the call timed out", attempts: 4 }),
    ],
    summary: { done: 2, failed: 2 },
  };
}

/** A CoT baseline run (no trees, single-pass plans) for side-by-side tables. */
export function cotRun(): RunFixture {
  return {
    config: makeConfig({ strategy: "cot" }),
    plans: [
      makePlan({
        id: "p1",
        steps: ["Sort.", "Scan."],
        scores: [],
        reachedEnd: false,
        stopReason: "single-pass",
        strategy: "cot",
        calls: 1,
        promptTokens: 400,
        completionTokens: 150,
        byRole: { cot: 1 },
        seconds: 2,
        counters: { "length.truncated": 1 },
      }),
      makePlan({
        id: "p2",
        steps: ["Count.", "Pick.", "Return."],
        scores: [],
        reachedEnd: false,
        stopReason: "single-pass",
        strategy: "cot",
        calls: 1,
        promptTokens: 420,
        completionTokens: 170,
        byRole: { cot: 1 },
        seconds: 3,
      }),
    ],
    samples: [
      makeSample({
        id: "p1",
        steps: ["Sort.", "Scan."],
        strategy: "cot",
        scores: [],
        calls: 2,
        stopReason: "single-pass",
        reachedEnd: false,
        codeFrom: "fenced",
      }),
      makeSample({
        id: "p2",
        steps: ["Count.", "Pick.", "Return."],
        strategy: "cot",
        scores: [],
        calls: 2,
        stopReason: "single-pass",
        reachedEnd: false,
        codeFrom: "bare",
      }),
    ],
    failures: [],
  };
}
