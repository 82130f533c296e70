/**
 * A fake model and a scripted judge that make a strategy comparison mean something without a GPU or
 * an executor: every problem has one key idea (one of plan-script's step openings, chosen by the
 * problem's tag), and a plan's code passes the problem's tests exactly when the plan uses that idea.
 *
 * - The model (oracleScript) answers like plan-script, except: implement writes code that lists the
 *   ideas its plan used (`IDEAS = [...]`, indices into OPENERS); evaluate is informative but noisy
 *   (a step with the key idea scores 7-9, another 3-7).
 * - The judge (oracleVerdict) reads that list: the key idea present passes all 3 tests; else 0-2 of 3
 *   pass (by a hash of the code), a failure. It stands in for the executor until generate runs the
 *   problems' own tests; it is a judge of the fake model's code only.
 */
import type { TestVerdict } from "../../src/search/policy.js";
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

export function oracleScript(options: PlanScriptOptions = {}): FakeScript {
  const base = createPlanScript(options);
  return async (ctx) => {
    const tag = tagOf(ctx.prompt);
    if (tag !== undefined && ctx.purpose === "implement") {
      const plan = ctx.prompt.slice(ctx.prompt.indexOf("Plan:"));
      return [
        "```python",
        `IDEAS = ${JSON.stringify(ideasIn(plan))}`,
        "",
        "def solve(nums):",
        '    """Scan once, keeping the best value."""',
        "    return max(nums, default=0)",
        "```",
      ].join("\n");
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

/** The scripted tests of problem `tag` on `code`. */
export function oracleVerdict(tag: string, code: string): TestVerdict {
  const listed = /IDEAS = (\[[\d, ]*\])/.exec(code)?.[1];
  const ideas = listed ? (JSON.parse(listed) as number[]) : [];
  if (ideas.includes(keyIdea(tag))) return { status: "pass", passed: 3, total: 3 };
  return {
    status: "fail",
    passed: fnv(code) % 3,
    total: 3,
    failure: `assert solve(case_${fnv(code) % 7}) == expected: the plan misses "${OPENERS[keyIdea(tag)]}"`,
  };
}
