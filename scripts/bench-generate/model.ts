/**
 * The fake model of the benchmark: the test suite's plan script (test/support/plan-script.ts) with
 * realistic reply lengths, plans of --plan-steps steps, and a way to tell which problem a prompt is about.
 */
import { readFileSync } from "node:fs";
import type { FakeReply, FakeRequestContext, FakeScript } from "../../test/support/fake-openai-server.js";
import { createPlanScript, fnv, OPENERS, THOUGHTS } from "../../test/support/plan-script.js";

const PROBLEM_LABEL = "Problem:\n";

/** Every question of a problems file (JSON Lines with a "question" field). */
export function readQuestions(file: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const q = (JSON.parse(line) as { question?: unknown }).question;
    if (typeof q === "string") out.push(q);
  }
  return out;
}

/**
 * Which problem a prompt is about: every built-in prompt shows the question verbatim after
 * "Problem:\n". Candidates are found by the first 64 characters and told apart by the whole question
 * (the longest that matches). A prompt that shows no known question is keyed by its first 200
 * characters after the label.
 */
export function createProblemMatcher(questions: readonly string[]): (prompt: string) => string {
  const byHead = new Map<string, string[]>();
  for (const q of questions) {
    const head = q.slice(0, 64);
    const list = byHead.get(head) ?? [];
    if (list.length === 0) byHead.set(head, list);
    list.push(q);
  }
  return (prompt) => {
    const at = prompt.indexOf(PROBLEM_LABEL);
    const from = at < 0 ? 0 : at + PROBLEM_LABEL.length;
    let best = "";
    for (const q of byHead.get(prompt.slice(from, from + 64)) ?? []) {
      if (q.length > best.length && prompt.startsWith(q, from)) best = q;
    }
    return best || prompt.slice(from, from + 200);
  };
}

const EVAL_REASONS = [
  "The step follows from the plan so far and moves it toward a complete solution.",
  "It is a sound choice of data structure, though the edge cases are left implicit.",
  "The idea is correct but it restates part of the previous step, so it adds less than it could.",
  "This keeps the overall complexity within the limits the problem implies.",
  "The transition is described precisely enough to implement without guessing.",
  "It is plausible, but it does not yet say how the final answer is assembled.",
];
const STEP_REASONS = [
  "This keeps the work linear because every element is visited once.",
  "That way each query is answered in constant time.",
  "This avoids recomputing overlapping subproblems.",
  "It also makes the boundary cases explicit before the main loop.",
  "",
  "",
];
const SOLUTION = [
  "Here is the implementation:",
  "",
  "```python",
  "from collections import defaultdict, deque",
  "from typing import List",
  "",
  "",
  "class Solution:",
  "    def solve(self, nums: List[int], k: int) -> int:",
  '        """Follow the plan: index the values, scan once, keep the best window."""',
  "        if not nums:",
  "            return 0",
  "        positions = defaultdict(list)",
  "        for i, x in enumerate(nums):",
  "            positions[x].append(i)",
  "        best = 0",
  "        window = deque()",
  "        total = 0",
  "        for i, x in enumerate(nums):",
  "            window.append(x)",
  "            total += x",
  "            while window and total > k:",
  "                total -= window.popleft()",
  "            best = max(best, len(window))",
  "        for x, idx in positions.items():",
  "            if len(idx) > 1:",
  "                best = max(best, idx[-1] - idx[0])",
  "        return best % (10**9 + 7)",
  "```",
].join("\n");

/**
 * The fake model. Its reflection says <end> once a plan has N steps, N one of --plan-steps chosen by a
 * hash of the question (default 3, the test suite's; "3-5" makes problems differ in length as real ones
 * do). Evaluate replies carry a short reason before the score and implement replies a ~250-token
 * solution, as the prompts ask.
 */
export function createBenchModel(
  problemOf: (prompt: string) => string,
  planSteps: readonly number[],
): FakeScript {
  const scripts = planSteps.map((endAfterSteps) => createPlanScript({ endAfterSteps, seed: 7 }));
  return async (ctx: FakeRequestContext): Promise<FakeReply> => {
    const h = fnv(problemOf(ctx.prompt));
    const base = await (scripts[h % scripts.length] as FakeScript)(ctx);
    if (typeof base !== "string") return base;
    const r = fnv(`${ctx.purpose}:${base}`);
    switch (ctx.purpose) {
      case "evaluate":
        return `${EVAL_REASONS[r % EVAL_REASONS.length]}\n${base}`;
      case "propose": {
        const why = STEP_REASONS[r % STEP_REASONS.length] as string;
        return why ? `${base} ${why}` : base;
      }
      case "implement":
        return SOLUTION;
      default:
        return base;
    }
  };
}

/** Finishing phrases of a step that moves the plan forward, and of one that does not. */
const GOOD_ENDINGS = [
  "and this settles the core of the problem.",
  "which keeps every case within the limits.",
  "so the answer follows directly from it.",
  "which handles the boundary cases too.",
];
const BAD_ENDINGS = [
  "although it is not clear this is needed.",
  "which may not cover every case.",
  "though it repeats part of the earlier work.",
  "but the cost of it is left open.",
];

/**
 * A model that makes the search explore, like the simulation behind the default iteration budget
 * (test/search-budget.test.ts), for the cluster benchmark: a problem needs L good steps (L one of
 * --plan-steps, by a hash of its question); a proposed step is good with probability 0.7; the
 * evaluator is noisy but informative (a good step scores 6-9, another 2-6); the reflection says
 * <end> with probability 0.8 once the plan holds L good steps, and never before. So searches differ
 * in length as real ones do, some spend the whole budget, and UCB1 goes sideways when a line
 * disappoints. Every reply is a function of the request (prompt and seed), never of call order.
 */
export function createExploringModel(
  problemOf: (prompt: string) => string,
  planSteps: readonly number[],
): FakeScript {
  const isGood = (step: string) => GOOD_ENDINGS.some((e) => step.endsWith(e));
  const stepsShown = (prompt: string, label: string) => {
    const at = prompt.indexOf(`${label}:\n`);
    if (at < 0) return [];
    const lines: string[] = [];
    for (const line of prompt.slice(at + label.length + 2).split("\n")) {
      const m = /^Step \d+: (.*)$/.exec(line);
      if (!m) break;
      lines.push(m[1] as string);
    }
    return lines;
  };
  return async (ctx: FakeRequestContext): Promise<FakeReply> => {
    const r = (salt: string) =>
      fnv(`${salt}|${ctx.purpose}|${String(ctx.body.seed)}|${ctx.prompt}`) / 4294967296;
    switch (ctx.purpose) {
      case "reflect": {
        const needed = planSteps[fnv(problemOf(ctx.prompt)) % planSteps.length] as number;
        const good = stepsShown(ctx.prompt, "Plan so far").filter(isGood).length;
        if (good >= needed && r("end") < 0.8) return "<end>";
        return THOUGHTS[Math.floor(r("thought") * THOUGHTS.length)] as string;
      }
      case "propose": {
        const opener = OPENERS[Math.floor(r("opener") * OPENERS.length)] as string;
        const endings = r("good") < 0.7 ? GOOD_ENDINGS : BAD_ENDINGS;
        const ending = endings[Math.floor(r("ending") * endings.length)] as string;
        return `${opener} (${Math.floor(r("n") * 100)}), ${ending}`;
      }
      case "evaluate": {
        const newest = (ctx.prompt.split("Newest step:\n")[1] ?? "").trim();
        const score = isGood(newest) ? 6 + Math.floor(r("score") * 4) : 2 + Math.floor(r("score") * 5);
        return `${EVAL_REASONS[Math.floor(r("reason") * EVAL_REASONS.length)]}\nScore: ${score}`;
      }
      case "implement":
        return SOLUTION;
      default:
        return "ok";
    }
  };
}
