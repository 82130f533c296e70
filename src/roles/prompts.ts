/**
 * Prompt templates: one markdown file per role in prompts/, so a user can read and edit the exact
 * text the model sees.
 *
 * File format: anything before the first heading line `## system` is a comment for humans (ignored);
 * the text under `## system` is the system message and the text under `## user` is the user
 * message (both headings required, case-insensitive, in that order). Placeholders are `{{name}}`;
 * every file must use exactly the placeholders of its role (see PROMPT_PLACEHOLDERS), so a typo such
 * as `{{questoin}}` fails at load time rather than sending a literal `{{questoin}}` to the model.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { ConfigError } from "../errors.js";
import type { ChatMessage } from "../llm/types.js";
import { packageRoot } from "../util/package-root.js";

export interface PromptTemplate {
  name: string;
  system: string;
  user: string;
}

export interface PromptSet {
  propose: PromptTemplate;
  reflect: PromptTemplate;
  evaluate: PromptTemplate;
  implement: PromptTemplate;
  cot: PromptTemplate;
  /** The code stage with --code-style modular (MoTCoder's modular-of-thought code). */
  "implement-modular": PromptTemplate;
  /** Self-refine's and revision's critic. */
  critique: PromptTemplate;
  /** Self-refine's and revision's reviser (a new whole plan from an earlier attempt and its feedback). */
  revise: PromptTemplate;
}

export type PromptName = keyof PromptSet;

export const PROMPT_NAMES: readonly PromptName[] = [
  "propose",
  "reflect",
  "evaluate",
  "implement",
  "cot",
  "implement-modular",
  "critique",
  "revise",
];

/**
 * The prompts every run's hash covers (the five of the first release, so an older run's hash still
 * matches); the others count only for the runs that use them (promptsUsed).
 */
const CORE_PROMPTS: readonly PromptName[] = ["propose", "reflect", "evaluate", "implement", "cot"];

/** The prompts a run's results depend on: the core five, plus its strategy's and code style's. */
export function promptsUsed(run: { strategy: string; codeStyle: string }): PromptName[] {
  const used = [...CORE_PROMPTS];
  if (run.codeStyle === "modular") used.push("implement-modular");
  if (run.strategy === "self-refine" || run.strategy === "revision") used.push("critique", "revise");
  return used;
}

/** The placeholders each role's template must contain (and the only ones it may contain). */
export const PROMPT_PLACEHOLDERS: Readonly<Record<PromptName, readonly string[]>> = {
  propose: ["question", "steps", "reflection", "siblings"],
  reflect: ["question", "steps"],
  evaluate: ["question", "steps", "step"],
  implement: ["question", "plan"],
  cot: ["question"],
  "implement-modular": ["question", "plan"],
  critique: ["question", "plan", "code"],
  revise: ["question", "plan", "code", "feedback"],
};

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const HEADING = /^##\s+(system|user)\s*$/i;

function placeholdersOf(text: string): Set<string> {
  return new Set(Array.from(text.matchAll(PLACEHOLDER), (m) => m[1] as string));
}

/** What a prompt file must hold, for files that are not one of the search's roles (sra eval's). */
export interface PromptFileRules {
  /** Exactly these placeholders (default: the role's, PROMPT_PLACEHOLDERS). */
  placeholders?: readonly string[];
  /** The `## system` part may be left out or empty: then only the user message is sent. */
  systemOptional?: boolean;
}

/**
 * Parse a prompt file's text. `name` is the role (propose, reflect, ...) or a file name ending in
 * `.md`; roles not in PROMPT_NAMES are parsed without placeholder checks unless `rules` names them.
 */
export function parsePromptFile(name: string, text: string, rules: PromptFileRules = {}): PromptTemplate {
  const role = path.basename(name).replace(/\.md$/i, "");
  const file = name.endsWith(".md") ? name : `${name}.md`;
  const sections: { system?: string[]; user?: string[] } = {};
  let current: "system" | "user" | undefined;
  const issues: string[] = [];
  for (const line of text.replace(/^\uFEFF/, "").split(/\r?\n/)) {
    const heading = HEADING.exec(line);
    if (heading) {
      const which = (heading[1] as string).toLowerCase() as "system" | "user";
      if (sections[which]) issues.push(`more than one "## ${which}" heading`);
      if (which === "system" && sections.user) issues.push(`"## system" must come before "## user"`);
      current = which;
      sections[which] = [];
      continue;
    }
    if (current) sections[current]?.push(line);
  }
  const system = (sections.system ?? []).join("\n").trim();
  const user = (sections.user ?? []).join("\n").trim();
  if (rules.systemOptional) {
    // nothing to check: no system part means no system message
  } else if (sections.system === undefined) issues.push(`missing a "## system" heading`);
  else if (system === "") issues.push(`the "## system" part is empty`);
  if (sections.user === undefined) issues.push(`missing a "## user" heading`);
  else if (user === "") issues.push(`the "## user" part is empty`);

  const expected =
    rules.placeholders ?? (PROMPT_PLACEHOLDERS[role as PromptName] as readonly string[] | undefined);
  if (expected) {
    const found = placeholdersOf(`${system}\n${user}`);
    const missing = expected.filter((p) => !found.has(p));
    const unknown = [...found].filter((p) => !expected.includes(p));
    if (missing.length > 0)
      issues.push(`missing placeholder(s): ${missing.map((p) => `{{${p}}}`).join(", ")}`);
    if (unknown.length > 0) {
      issues.push(
        `unknown placeholder(s): ${unknown.map((p) => `{{${p}}}`).join(", ")} (allowed: ${expected.map((p) => `{{${p}}}`).join(", ")})`,
      );
    }
  }
  if (issues.length > 0) {
    throw new ConfigError(issues, file, {
      hint: 'A prompt file is a "## system" part, then a "## user" part, with the role\'s {{placeholders}}.',
    });
  }
  return { name: role, system, user };
}

/** A template's placeholders, found once per template (renderPrompt runs for every LLM call). */
const placeholderCache = new WeakMap<PromptTemplate, { system: string; user: string; names: Set<string> }>();
function templatePlaceholders(t: PromptTemplate): Set<string> {
  const hit = placeholderCache.get(t);
  // Keyed by object and checked against its texts: a caller may edit a template in place.
  if (hit && hit.system === t.system && hit.user === t.user) return hit.names;
  const names = placeholdersOf(`${t.system}\n${t.user}`);
  placeholderCache.set(t, { system: t.system, user: t.user, names });
  return names;
}

/**
 * Fill a template's placeholders. Values are inserted verbatim in one pass, so a `{{...}}` inside a
 * problem statement is never expanded. A placeholder without a value, or a value the template does
 * not use, is a mismatch between the code and the file: it throws.
 */
export function renderPrompt(t: PromptTemplate, vars: Record<string, string>): ChatMessage[] {
  const used = templatePlaceholders(t);
  const missing = [...used].filter((p) => !Object.hasOwn(vars, p));
  const unknown = Object.keys(vars).filter((k) => !used.has(k));
  if (missing.length > 0 || unknown.length > 0) {
    const issues: string[] = [];
    if (missing.length > 0)
      issues.push(`no value for placeholder(s): ${missing.map((p) => `{{${p}}}`).join(", ")}`);
    if (unknown.length > 0)
      issues.push(`unknown placeholder(s): ${unknown.map((p) => `{{${p}}}`).join(", ")}`);
    throw new ConfigError(issues, `${t.name}.md`);
  }
  const fill = (text: string) => text.replace(PLACEHOLDER, (_m, key: string) => vars[key] as string);
  const user: ChatMessage = { role: "user", content: fill(t.user) };
  // A file whose system part may be empty (sra eval's) sends the user message alone.
  return t.system === "" ? [user] : [{ role: "system", content: fill(t.system) }, user];
}

/** sha256 of prompt files' parsed texts, in the order given: a run records it to refuse edited prompts. */
export function hashPromptTemplates(entries: readonly (readonly [string, PromptTemplate])[]): string {
  const h = createHash("sha256");
  for (const [name, t] of entries) h.update(`${name}\u0000${t.system}\u0000${t.user}\u0000`);
  return `sha256:${h.digest("hex")}`;
}

/**
 * Read and check one prompt file `<dir>/<name>.md`; `names` is the set the directory must hold (for
 * the hint), `rules` what the file must contain (default: the role's placeholders).
 */
export async function readPromptFile(
  base: string,
  name: string,
  names: readonly string[],
  rules: PromptFileRules = {},
): Promise<PromptTemplate> {
  const file = path.join(base, `${name}.md`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError([`cannot read the ${name} prompt (${code ?? String(e)})`], file, {
      hint: `The prompts directory must hold ${names.map((n) => `${n}.md`).join(", ")}.`,
    });
  }
  try {
    return parsePromptFile(name, text, rules);
  } catch (e) {
    // Re-throw with the full path so the user knows which directory was read.
    if (e instanceof ConfigError) throw new ConfigError(e.issues, file, { hint: e.hint });
    throw e;
  }
}

/** The package's own prompts/ directory. */
export function builtinPromptsDir(): string {
  return path.join(packageRoot(), "prompts");
}

/** Read and check the role prompts (PROMPT_NAMES) from `dir` (default: the package's prompts/). */
export async function loadPromptSet(dir?: string): Promise<PromptSet> {
  const base = dir ?? builtinPromptsDir();
  const entries = await Promise.all(
    PROMPT_NAMES.map(async (name) => [name, await readPromptFile(base, name, PROMPT_NAMES)] as const),
  );
  return Object.fromEntries(entries) as unknown as PromptSet;
}
