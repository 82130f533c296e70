/**
 * A fake model whose code really runs, so a strategy comparison means something without a GPU: every
 * problem ("Problem <tag>: the length of the longest run of equal values", `solve(nums)`) has one key
 * idea (one of plan-script's step openings, chosen by the tag), and the code the model writes for a
 * plan is right exactly when the plan uses that idea. The executor then runs it against the problem's
 * own `assert` tests, as generate does for any problem with tests.
 *
 * - implement writes the right program when the plan has the key idea, else one of four wrong ones
 *   (by a hash of the plan's ideas: different plans can write the same wrong program). Each wrong one
 *   passes 2 or 3 of the 4 tests, and two of them agree with the right one on the statement's two
 *   examples, so grouping by example outputs (self-consistency without tests) can pick wrong code.
 *   A comment lists the plan's ideas, so two plans never write identical text.
 * - evaluate is informative but noisy: a step with the key idea scores 7-9, another 3-7.
 * - everything else is plan-script's (reflection ends after `endAfterSteps`, the critic approves
 *   plans of `approveAfterSteps` steps: it checks completeness, not correctness).
 */
import * as fsp from "node:fs/promises";
import type { FakeScript } from "./fake-openai-server.js";
import { createPlanScript, fnv, OPENERS, type PlanScriptOptions } from "./plan-script.js";
import { tagOf } from "./tagged-problems.js";

/** The index (into OPENERS) of a problem's key idea. */
export function keyIdea(tag: string): number {
  return fnv(`key:${tag}`) % OPENERS.length;
}

/** The ideas (indices into OPENERS) a text uses. */
function ideasIn(text: string): number[] {
  return OPENERS.flatMap((o, i) => (text.includes(o) ? [i] : []));
}

/** The problems' tests: `solve` must give the longest run of equal values. */
export const ORACLE_TESTS = [
  "assert solve([1, 1, 2]) == 2",
  "assert solve([3, 3, 3, 1]) == 3",
  "assert solve([5]) == 1",
  "assert solve([1, 2, 1]) == 1",
];

const RIGHT = [
  "    best = run = 0",
  "    for i, x in enumerate(nums):",
  "        run = run + 1 if i > 0 and nums[i - 1] == x else 1",
  "        best = max(best, run)",
  "    return best",
];
/** Wrong programs; tests passed: 2, 3, 2, 3 of 4. The second and fourth agree with RIGHT on both examples. */
const WRONG = [
  ["    return len(set(nums))"],
  ["    return max((nums.count(x) for x in nums), default=0)"],
  ["    return 1"],
  ["    return len(nums) - len(set(nums)) + 1"],
];

/** The code the model writes for a plan of problem `tag`. */
export function oracleCode(tag: string, plan: string): string {
  const ideas = ideasIn(plan);
  const body = ideas.includes(keyIdea(tag))
    ? RIGHT
    : (WRONG[fnv(JSON.stringify(ideas)) % WRONG.length] as string[]);
  return [
    `# ideas: ${ideas.join(", ")}`,
    "def solve(nums):",
    '    """The length of the longest run of equal values."""',
    ...body,
  ].join("\n");
}

export function oracleScript(options: PlanScriptOptions = {}): FakeScript {
  const base = createPlanScript(options);
  return async (ctx) => {
    const tag = tagOf(ctx.prompt);
    if (tag !== undefined && ctx.purpose === "implement") {
      return ["```python", oracleCode(tag, ctx.prompt.slice(ctx.prompt.indexOf("Plan:"))), "```"].join("\n");
    }
    if (tag !== undefined && ctx.purpose === "evaluate") {
      const newest = ctx.prompt.slice(ctx.prompt.lastIndexOf("Newest step:"));
      const h = fnv(ctx.prompt);
      const score = ideasIn(newest).includes(keyIdea(tag)) ? 7 + (h % 3) : 3 + (h % 5);
      return `The step is plausible.\nScore: ${score}`;
    }
    return base(ctx);
  };
}

/** A problem's statement: the task, the signature, and two examples in doctest form. */
export function oracleQuestion(tag: string): string {
  return [
    `Problem ${tag}: given a list of integers, return the length of the longest run of equal values.`,
    "",
    "def solve(nums):",
    '    """',
    "    >>> solve([1, 1, 2])",
    "    2",
    "    >>> solve([3, 3, 3, 1])",
    "    3",
    '    """',
  ].join("\n");
}

/** The problems, with their `tests` or (to keep them from the search) without. */
export async function writeOracleProblems(
  file: string,
  tags: readonly string[],
  options: { tests: boolean },
): Promise<string> {
  const line = (tag: string) =>
    JSON.stringify({
      id: tag,
      question: oracleQuestion(tag),
      ...(options.tests ? { tests: ORACLE_TESTS } : {}),
    });
  await fsp.writeFile(file, tags.map((tag) => `${line(tag)}\n`).join(""));
  return file;
}
