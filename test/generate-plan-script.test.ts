/** The scripted "good model" used by generate tests, benchmarks and the fault suite. */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseScore } from "../src/roles/parse-score.js";
import { runCli } from "./support/cli.js";
import type { FakeRequestContext } from "./support/fake-openai-server.js";
import { startFakeOpenAiServer } from "./support/fake-openai-server.js";
import { countPromptSteps, createPlanScript } from "./support/plan-script.js";

function ctx(purpose: string, prompt: string, index = 0): FakeRequestContext {
  return {
    index,
    purpose,
    prompt,
    headers: {},
    body: { model: "m", messages: [{ role: "user", content: prompt }] },
  };
}

const plan = (n: number) =>
  `Problem:\nAdd numbers.\n\nPlan so far:\n${Array.from({ length: n }, (_, i) => `Step ${i + 1}: do ${i}`).join("\n")}`;

describe("createPlanScript", () => {
  it("counts the steps a prompt shows", () => {
    expect(countPromptSteps(plan(0))).toBe(0);
    expect(countPromptSteps(plan(3))).toBe(3);
    expect(countPromptSteps("Plan so far:\n(none yet)")).toBe(0);
  });

  it.each([1, 2, 4])("reflect says <end> once the prompt shows >= %i steps", async (k) => {
    const script = createPlanScript({ endAfterSteps: k });
    expect(await script(ctx("reflect", plan(k - 1)))).not.toBe("<end>");
    expect(await script(ctx("reflect", plan(k)))).toBe("<end>");
  });

  it("proposes distinct steps for distinct prompts and for a repeated prompt", async () => {
    const script = createPlanScript({ seed: 1 });
    const replies = new Set<string>();
    for (let i = 0; i < 20; i++)
      replies.add(String(await script(ctx("propose", `${plan(1)}\nsiblings ${i}`))));
    expect(replies.size).toBeGreaterThanOrEqual(18);
    const again = createPlanScript({ seed: 1 });
    const a = await again(ctx("propose", plan(2)));
    const b = await again(ctx("propose", plan(2)));
    expect(a).not.toBe(b);
  });

  it("is deterministic for a seed, and different across seeds", async () => {
    const run = async (seed: number) => {
      const s = createPlanScript({ seed });
      return [await s(ctx("propose", plan(1))), await s(ctx("evaluate", plan(2))), await s(ctx("cot", "q"))];
    };
    expect(await run(7)).toEqual(await run(7));
    expect(await run(7)).not.toEqual(await run(8));
  });

  it("answers evaluate with Score: N in range, and messy forms at the messy rate", async () => {
    const clean = createPlanScript({ scoreRange: [6, 8] });
    for (let i = 0; i < 30; i++) {
      const r = String(await clean(ctx("evaluate", `${plan(2)} ${i}`)));
      expect(r).toMatch(/^Score: [678]$/);
    }
    const messy = createPlanScript({ messyScoreRate: 1, seed: 2 });
    let unparsable = 0;
    for (let i = 0; i < 40; i++) {
      const r = String(await messy(ctx("evaluate", `${plan(2)} ${i}`)));
      expect(r).not.toMatch(/^Score: \d+$/);
      if ("error" in parseScore(r)) unparsable++;
    }
    expect(unparsable).toBeGreaterThan(0);
    expect(unparsable).toBeLessThan(40);
  });

  it("writes code in a python fence and numbered CoT plans", async () => {
    const s = createPlanScript({ cotSteps: 5 });
    expect(String(await s(ctx("implement", "x")))).toMatch(/```python\n[\s\S]*def [\s\S]*```/);
    expect(countPromptSteps(String(await s(ctx("cot", "x"))))).toBe(5);
  });

  it("lets a hook answer first (faults)", async () => {
    const s = createPlanScript({ before: (c) => (c.purpose === "implement" ? { status: 500 } : undefined) });
    expect(await s(ctx("implement", "x"))).toEqual({ status: 500 });
    expect(await s(ctx("reflect", plan(5)))).toBe("<end>");
  });

  it("drives a whole generate run with messy scores", async () => {
    const server = await startFakeOpenAiServer({
      script: createPlanScript({ endAfterSteps: 3, messyScoreRate: 0.4, seed: 5 }),
      models: ["google/gemma-2-2b-it"],
    });
    const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-plan-script-"));
    try {
      const problems = path.join(tmp, "p.jsonl");
      await fsp.writeFile(problems, '{"question":"Reverse a string."}\n{"question":"Sum a list."}\n');
      const out = path.join(tmp, "run");
      const r = await runCli([
        "generate",
        "--model",
        "gemma-2-2b",
        "--base-url",
        server.url,
        "--problems",
        problems,
        "--out",
        out,
        "--no-progress",
      ]);
      expect(r.code, r.stderr).toBe(0);
      const plans = (await fsp.readFile(path.join(out, "plans.jsonl"), "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { steps: string[]; counters: Record<string, number> });
      expect(plans).toHaveLength(2);
      for (const p of plans) expect(p.steps.length).toBeGreaterThanOrEqual(3);
      const forms = plans.flatMap((p) => Object.keys(p.counters)).filter((k) => k.startsWith("score."));
      expect(new Set(forms).size).toBeGreaterThan(1);
    } finally {
      await server.close();
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  });
});
