/**
 * A scripted "good model" for the fake OpenAI server: it answers each role (by the request's
 * `x-sra-purpose`) the way a capable instruct model would, so the whole pipeline can run without a GPU.
 * Deterministic for a given seed and prompt: replies depend on the prompt text, the seed and the
 * number of times the same prompt was seen (so a regenerated step comes out different).
 *
 *   propose   -> one new natural-language step, distinct from its siblings
 *   reflect   -> a short thought, or "<end>" once the prompt shows >= endAfterSteps steps
 *   evaluate  -> "Score: N" (a share of messy forms with messyScoreRate)
 *   implement -> a ```python block
 *   cot       -> a numbered plan of cotSteps steps
 *   check     -> "ok"
 */
import type { FakeReply, FakeRequestContext, FakeScript } from "./fake-openai-server.js";

export interface PlanScriptOptions {
  /** Reflect answers "<end>" once the prompt shows at least this many steps. Default 3. */
  endAfterSteps?: number;
  /** Share (0..1) of evaluate replies in a messy form ("7/10", "**Score:** 7", prose without a number). */
  messyScoreRate?: number;
  /** Seed for every choice. Default 0. */
  seed?: number;
  /** Scores are drawn from [min, max] on the 0-10 scale. Default [4, 9]. */
  scoreRange?: [number, number];
  /** Steps in a CoT plan. Default 4. */
  cotSteps?: number;
  /** Prefix proposed steps with "Step N: " (as a chatty model does). Default false. */
  stepPrefix?: boolean;
  /** Count the steps a prompt shows (default: lines starting with "Step N:"). */
  countSteps?: (prompt: string) => number;
  /** A hook that may answer first (faults, custom replies); return undefined to fall through. */
  before?: (ctx: FakeRequestContext) => FakeReply | undefined | Promise<FakeReply | undefined>;
}

/**
 * FNV-1a, as in src/util/rng.ts (kept here: the fake model must not depend on src internals). Also the
 * test suites' and the benchmark's way to key a prompt.
 */
export function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A tiny deterministic generator from a string seed (mulberry32). */
function rngFrom(seedText: string): () => number {
  let state = fnv(seedText);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], r: () => number): T {
  return items[Math.floor(r() * items.length)] as T;
}

/** Openings of a plan step (also the benchmark's exploring model's). */
export const OPENERS = [
  "Read the input and note its size limits",
  "Handle the empty and single-element cases first",
  "Sort the values so that equal elements sit together",
  "Build a hash map from each value to its index",
  "Keep two pointers, one at each end of the array",
  "Define dp[i] as the best answer for the first i elements",
  "Model the items as nodes of a graph with an edge per relation",
  "Use a min-heap keyed by the current cost",
  "Maintain a sliding window over the string",
  "Binary search on the answer between the smallest and largest value",
  "Use a stack to track the elements still waiting for a larger one",
  "Count the occurrences of every character",
];
const ACTIONS = [
  "then scan once from left to right, updating the running best",
  "then extend the window while the condition holds and shrink it when it breaks",
  "then fill the table with the recurrence dp[i] = max(dp[i-1], dp[i-2] + a[i])",
  "then pop from the heap until the target is reached, pushing neighbours with their new cost",
  "then move the pointer on the smaller side inward and keep the best value seen",
  "then check each candidate in O(1) with the map",
  "then run a breadth-first search from the start node, recording distances",
  "then combine the partial results and take the minimum",
  "then verify the midpoint with a greedy pass and halve the range",
  "then merge overlapping intervals as they appear",
];
const FINISHERS = [
  "and return the final value, which takes O(n log n) time",
  "and return the answer; the whole pass is O(n) time and O(n) space",
  "and return -1 when no valid answer exists",
  "and return the collected list in the required order",
  "keeping the result modulo 10^9 + 7",
  "and stop early as soon as the answer cannot improve",
];
/** Reflections that are not <end>. */
export const THOUGHTS = [
  "The next step should decide which data structure gives fast lookups.",
  "We still need to handle the boundary cases before the main loop.",
  "Next, make the transition between states precise.",
  "The plan is missing how the final answer is assembled.",
  "Consider whether sorting first makes the remaining work simpler.",
];
const MESSY = [
  (n: number) => `I would rate this plan ${n}/10.`,
  (n: number) => `**Score:** ${n}`,
  (n: number) => `${n}`,
  (n: number) => `score = ${n} out of 10`,
  (_n: number) => "The step looks reasonable but misses some edge cases.",
];

/** Default step counter: lines that start with "Step N:" (any case, optional markdown). */
export function countPromptSteps(prompt: string): number {
  const matches = prompt.match(/^[\s>*_-]*step\s+\d+\s*[:.)]/gim);
  return matches ? matches.length : 0;
}

export function createPlanScript(options: PlanScriptOptions = {}): FakeScript {
  const endAfter = options.endAfterSteps ?? 3;
  const messyRate = options.messyScoreRate ?? 0;
  const seed = options.seed ?? 0;
  const [lo, hi] = options.scoreRange ?? [4, 9];
  const cotSteps = options.cotSteps ?? 4;
  const countSteps = options.countSteps ?? countPromptSteps;
  // How often each exact prompt was seen, so a repeated request (a regeneration) differs.
  const seen = new Map<number, number>();

  return async (ctx) => {
    const early = await options.before?.(ctx);
    if (early !== undefined) return early;
    const key = fnv(`${ctx.purpose}\u0000${ctx.prompt}`);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    // Remember at most ~100k prompts: the standalone server may run for a long time.
    if (seen.size > 100_000) seen.clear();
    const r = rngFrom(`${seed}:${key}:${n}`);
    const steps = countSteps(ctx.prompt);
    switch (ctx.purpose) {
      case "propose": {
        const text = `${pick(OPENERS, r)}, ${pick(ACTIONS, r)}, ${pick(FINISHERS, r)}.`;
        return options.stepPrefix ? `Step ${steps + 1}: ${text}` : text;
      }
      case "reflect":
        return steps >= endAfter ? "<end>" : pick(THOUGHTS, r);
      case "evaluate": {
        const score = lo + Math.floor(r() * (hi - lo + 1));
        if (messyRate > 0 && r() < messyRate) return pick(MESSY, r)(score);
        return `Score: ${score}`;
      }
      case "implement":
        return [
          "Here is the implementation:",
          "",
          "```python",
          "class Solution:",
          `    def solve(self, nums: list[int]) -> int:`,
          "        best = 0",
          "        seen = {}",
          "        for i, x in enumerate(nums):",
          "            seen[x] = i",
          "            best = max(best, x)",
          "        return best",
          "```",
        ].join("\n");
      case "cot": {
        const lines: string[] = [];
        for (let i = 1; i <= cotSteps; i++) {
          lines.push(`Step ${i}: ${pick(OPENERS, r)}, ${pick(ACTIONS, r)}.`);
        }
        return lines.join("\n");
      }
      default:
        return "ok";
    }
  };
}
