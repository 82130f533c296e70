import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../src/errors.js";
import { loadPromptSet, PROMPT_NAMES, parsePromptFile, renderPrompt } from "../src/roles/prompts.js";

const REFLECT =
  "A note for people.\n{{not_a_placeholder_here_is_fine}}\n\n## system\nYou review plans.\n\n## user\nProblem:\n{{question}}\n\nPlan so far:\n{{steps}}\n";

function configIssues(fn: () => unknown): { file: string | undefined; issues: string[] } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return { file: e.file, issues: e.issues };
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("parsePromptFile", () => {
  it("splits the system and user parts and ignores the note above them", () => {
    expect(parsePromptFile("reflect", REFLECT)).toEqual({
      name: "reflect",
      system: "You review plans.",
      user: "Problem:\n{{question}}\n\nPlan so far:\n{{steps}}",
    });
  });

  it("accepts CRLF, a BOM and any heading case", () => {
    const text = `\uFEFF## System\r\nsys\r\n## USER\r\n{{question}}\r\n`;
    expect(parsePromptFile("cot", text)).toEqual({ name: "cot", system: "sys", user: "{{question}}" });
  });

  it.each([
    ["a missing placeholder", "## system\ns\n## user\n{{question}}", ["missing placeholder(s): {{steps}}"]],
    [
      "a misspelt placeholder",
      "## system\ns\n## user\n{{questoin}} {{steps}}",
      [
        "missing placeholder(s): {{question}}",
        "unknown placeholder(s): {{questoin}} (allowed: {{question}}, {{steps}})",
      ],
    ],
    ["no system heading", "## user\n{{question}} {{steps}}", ['missing a "## system" heading']],
    [
      "an empty user part",
      "## system\ns {{question}} {{steps}}\n## user\n\n",
      ['the "## user" part is empty'],
    ],
    [
      "user before system",
      "## user\n{{question}}\n## system\n{{steps}}",
      ['"## system" must come before "## user"'],
    ],
  ])("rejects %s, naming the file", (_name, text, issues) => {
    const e = configIssues(() => parsePromptFile("reflect", text));
    expect(e.file).toBe("reflect.md");
    expect(e.issues).toEqual(issues);
  });

  it("names every missing placeholder of a role", () => {
    const e = configIssues(() => parsePromptFile("propose.md", "## system\ns\n## user\n{{question}}"));
    expect(e.file).toBe("propose.md");
    expect(e.issues).toEqual(["missing placeholder(s): {{steps}}, {{reflection}}, {{siblings}}"]);
  });
});

describe("renderPrompt", () => {
  const t = parsePromptFile("reflect", REFLECT);

  it("returns [system, user] with the values inserted verbatim (no re-expansion)", () => {
    const messages = renderPrompt(t, { question: "Is {{steps}} literal? $& $1", steps: "Step 1: x" });
    expect(messages).toEqual([
      { role: "system", content: "You review plans." },
      { role: "user", content: "Problem:\nIs {{steps}} literal? $& $1\n\nPlan so far:\nStep 1: x" },
    ]);
  });

  it("throws on a missing value and on a value the template does not use", () => {
    expect(configIssues(() => renderPrompt(t, { question: "q" })).issues).toEqual([
      "no value for placeholder(s): {{steps}}",
    ]);
    expect(configIssues(() => renderPrompt(t, { question: "q", steps: "s", extra: "x" })).issues).toEqual([
      "unknown placeholder(s): {{extra}}",
    ]);
  });
});

describe("loadPromptSet", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("loads the shipped prompts: every role, fixed text in the system part, variables in the user part", async () => {
    const set = await loadPromptSet();
    expect(Object.keys(set).sort()).toEqual([...PROMPT_NAMES].sort());
    for (const t of Object.values(set)) {
      expect(t.system).not.toMatch(/\{\{/); // the shared prefix must not vary
      expect(t.user.trimStart().startsWith("Problem:\n{{question}}")).toBe(true);
    }
    // Variable parts in a stable order, the per-sibling part last.
    const order = (text: string, names: string[]) => names.map((n) => text.indexOf(`{{${n}}}`));
    const propose = order(set.propose.user, ["question", "steps", "reflection", "siblings"]);
    expect([...propose].sort((a, b) => a - b)).toEqual(propose);
    const evaluate = order(set.evaluate.user, ["question", "steps", "step"]);
    expect([...evaluate].sort((a, b) => a - b)).toEqual(evaluate);
    expect(set.evaluate.system).toContain("Score: N");
    expect(set.reflect.system).toContain("<end>");
  });

  it("names the file that is missing or broken", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "sra-prompts-"));
    for (const name of PROMPT_NAMES) {
      await writeFile(path.join(dir, `${name}.md`), `## system\ns\n## user\n{{question}}`);
    }
    const broken = await loadPromptSet(dir).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(ConfigError);
    expect((broken as ConfigError).file).toMatch(/(propose|reflect|evaluate|implement)\.md$/);
    expect((broken as ConfigError).file?.startsWith(dir)).toBe(true);

    await rm(path.join(dir, "cot.md"));
    const missing = await loadPromptSet(dir).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
  });

  it("loads a user's own directory", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "sra-prompts-"));
    const bodies: Record<string, string> = {
      propose: "{{question}} {{steps}} {{reflection}} {{siblings}}",
      reflect: "{{question}} {{steps}}",
      evaluate: "{{question}} {{steps}} {{step}}",
      implement: "{{question}} {{plan}}",
      cot: "{{question}}",
      "implement-modular": "{{question}} {{plan}}",
      critique: "{{question}} {{plan}} {{code}}",
      revise: "{{question}} {{plan}} {{code}} {{feedback}}",
    };
    for (const name of PROMPT_NAMES) {
      await writeFile(path.join(dir, `${name}.md`), `## system\nmy ${name}\n## user\n${bodies[name]}`);
    }
    const set = await loadPromptSet(dir);
    expect(set.cot).toEqual({ name: "cot", system: "my cot", user: "{{question}}" });
  });
});
