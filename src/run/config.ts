/**
 * The configuration of a generate run: one zod schema for the resolved config (what config.json
 * holds), a strict partial schema for `--config file.json`, the layering
 *   configs/generate.json + DEFAULT_SEARCH_PARAMS < $OPENAI_BASE_URL < preset sampling < --config < flags
 * and the comparison that decides whether a rerun may resume an existing run directory.
 */
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { z } from "zod";
import { ConfigError, cannotReadError, UsageError } from "../errors.js";
import type { ModelPreset } from "../llm/presets.js";
import { strategySchema } from "../types.js";
import { packageRoot } from "../util/package-root.js";
import { parseJson } from "../util/parse-json.js";
import { formatZodIssues } from "../util/zod-issues.js";

export const CONFIG_VERSION = 1;

export const stageChoiceSchema = z.enum(["plans", "code", "all"]);
export type StageChoice = z.infer<typeof stageChoiceSchema>;

export const codeParamsSchema = z
  .object({
    temperature: z.number().min(0).max(2),
    topP: z.number().gt(0).max(1),
    maxTokens: z.number().int().min(16).max(1_000_000),
    /** Extra attempts when the reply has no code. */
    retries: z.number().int().min(0).max(20),
  })
  .strict();
export type CodeParams = z.infer<typeof codeParamsSchema>;

export const retryPolicySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(100),
    initialDelayMs: z.number().int().min(0),
    maxDelayMs: z.number().int().min(0),
    factor: z.number().min(1).max(10),
    jitter: z.number().min(0).max(1),
  })
  .strict();

export const shardSchema = z
  .object({ index: z.number().int().min(1), count: z.number().int().min(1) })
  .strict()
  .refine((s) => s.index <= s.count, { message: "the shard number must be from 1 to the shard count" });

/** null = no limit; an integer N >= 0 = at most N failures; 0 < f < 1 = at most that share. */
export const maxFailuresSchema = z
  .number()
  .min(0)
  .refine((n) => Number.isInteger(n) || n < 1, {
    message: "must be a whole number >= 0 or a fraction between 0 and 1",
  })
  .nullable();

const inputSectionSchema = z
  .object({
    /** Absolute path of the problems file. */
    problems: z.string().min(1),
    questionField: z.string().min(1),
    idField: z.string().min(1).nullable(),
    skipInvalid: z.boolean(),
    /** The first N problems of the file (before sharding). */
    limit: z.number().int().min(1).nullable(),
    /**
     * Longer questions are invalid records (null: no limit). 100,000 characters is about 25k tokens,
     * 40x the longest LeetCode statement of the paper's data; a question past any model's context
     * would only fail every call of its search.
     */
    maxQuestionChars: z.number().int().min(1).nullable(),
    shard: shardSchema.nullable(),
  })
  .strict();

const serverSectionSchema = z
  .object({
    baseUrls: z.array(z.url({ protocol: /^https?$/ })).min(1),
    /** The NAME of the environment variable holding the key; the key itself is never stored. */
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"),
    timeoutSec: z.number().positive().max(86_400),
    /** How long requests wait when every endpoint is down, before failures count again (0: no wait). */
    maxOutageSec: z.number().min(0).max(86_400),
    maxRequests: z.number().int().min(1).max(100_000),
    adaptive: z.boolean(),
    retry: retryPolicySchema,
  })
  .strict();

const runSectionSchema = z
  .object({
    concurrency: z.number().int().min(1).max(100_000),
    maxFailures: maxFailuresSchema,
    retryFailures: z.boolean(),
  })
  .strict();

const modelSectionSchema = z
  .object({
    /** What --model said: a preset name, or the served name itself. */
    name: z.string().min(1),
    servedModel: z.string().min(1),
    systemRole: z.boolean(),
    /** LLaMA-Factory template (used by export). */
    template: z.string().min(1),
    /** Whether `name` is a preset of configs/models.json. */
    known: z.boolean(),
  })
  .strict();

const promptsSectionSchema = z
  .object({
    /** null = the built-in prompts/ directory. */
    dir: z.string().nullable(),
    /** sha256 of the prompt texts: a rerun with edited prompts must not mix into the same run. */
    hash: z.string(),
  })
  .strict();

/** The resolved config (config.json) for a given search-params schema. */
export function makeRunConfigSchema<S extends z.ZodType>(searchSchema: S) {
  return z
    .object({
      version: z.literal(CONFIG_VERSION),
      sraVersion: z.string(),
      createdAt: z.string(),
      updatedAt: z.string(),
      model: modelSectionSchema,
      strategy: strategySchema,
      stage: stageChoiceSchema,
      seed: z.number().int().min(0).max(0xffffffff),
      prompts: promptsSectionSchema,
      search: searchSchema,
      code: codeParamsSchema,
      input: inputSectionSchema,
      server: serverSectionSchema,
      run: runSectionSchema,
    })
    .strict();
}

export interface RunConfig<P = Record<string, unknown>> {
  version: typeof CONFIG_VERSION;
  sraVersion: string;
  createdAt: string;
  updatedAt: string;
  model: z.infer<typeof modelSectionSchema>;
  strategy: z.infer<typeof strategySchema>;
  stage: StageChoice;
  seed: number;
  prompts: z.infer<typeof promptsSectionSchema>;
  search: P;
  code: CodeParams;
  input: z.infer<typeof inputSectionSchema>;
  server: z.infer<typeof serverSectionSchema>;
  run: z.infer<typeof runSectionSchema>;
}

/**
 * What a `--config` file (and configs/generate.json, and the flags) may set: every section partial,
 * unknown keys rejected. `model` is a name, or an object as in a previous run's config.json (whose
 * bookkeeping fields are accepted and ignored, so `--config runs/a/config.json` reproduces run a).
 */
export function makeSettingsSchema(searchSchema: z.ZodType) {
  // Without the search defaults: a settings layer holds only what it sets, or a --config file that
  // sets one search field would put every search default above the preset's sampling.
  const searchPartial =
    searchSchema instanceof z.ZodObject
      ? z
          .object(
            Object.fromEntries(
              Object.entries(searchSchema.shape as Record<string, z.ZodType>).map(([key, field]) => [
                key,
                field instanceof z.ZodDefault ? field.removeDefault() : field,
              ]),
            ),
          )
          .partial()
          .strict()
      : z.record(z.string(), z.unknown());
  return z
    .object({
      version: z.number().optional(),
      sraVersion: z.string().optional(),
      createdAt: z.string().optional(),
      updatedAt: z.string().optional(),
      model: z
        .union([
          z.string().min(1),
          z
            .object({
              name: z.string().min(1),
              servedModel: z.string().min(1).optional(),
              systemRole: z.boolean().optional(),
              template: z.string().min(1).optional(),
              known: z.boolean().optional(),
            })
            .strict(),
        ])
        .optional(),
      servedModel: z.string().min(1).optional(),
      strategy: strategySchema.optional(),
      stage: stageChoiceSchema.optional(),
      seed: z.number().int().min(0).max(0xffffffff).optional(),
      promptsDir: z.string().min(1).nullable().optional(),
      prompts: z
        .object({ dir: z.string().nullable().optional(), hash: z.string().optional() })
        .strict()
        .optional(),
      search: searchPartial.optional(),
      code: codeParamsSchema.partial().strict().optional(),
      input: inputSectionSchema.partial().strict().optional(),
      server: serverSectionSchema
        .extend({ retry: retryPolicySchema.partial().strict() })
        .partial()
        .strict()
        .optional(),
      run: runSectionSchema.partial().strict().optional(),
    })
    .strict();
}

export type Settings = {
  model?:
    | string
    | { name: string; servedModel?: string; systemRole?: boolean; template?: string; known?: boolean };
  servedModel?: string;
  strategy?: z.infer<typeof strategySchema>;
  stage?: StageChoice;
  seed?: number;
  promptsDir?: string | null;
  prompts?: { dir?: string | null; hash?: string };
  search?: Record<string, unknown>;
  code?: Partial<CodeParams>;
  input?: Partial<z.infer<typeof inputSectionSchema>>;
  server?: Partial<Omit<z.infer<typeof serverSectionSchema>, "retry">> & {
    retry?: Partial<z.infer<typeof retryPolicySchema>>;
  };
  run?: Partial<z.infer<typeof runSectionSchema>>;
  version?: number;
  sraVersion?: string;
  createdAt?: string;
  updatedAt?: string;
};

/**
 * Fields that change what a run produces. A rerun into the same directory must agree on all of them,
 * or its samples would silently mix two settings. Everything else (concurrency, max requests, base
 * URLs, timeouts, retries, limit, shard, stage) only changes speed or which problems are done.
 */
export const RESULT_FIELDS = [
  "model.servedModel",
  "model.systemRole",
  "strategy",
  "seed",
  "prompts.hash",
  "search",
  "code",
  "input.questionField",
  "input.idField",
] as const;

/** config path -> the flag that sets it, so an error names what the user typed. */
export const FLAG_FOR_PATH: Record<string, string> = {
  model: "--model",
  servedModel: "--served-model",
  "model.servedModel": "--served-model",
  strategy: "--strategy",
  stage: "--stage",
  seed: "--seed",
  "search.iterations": "--iterations",
  "search.timeBudgetSec": "--time-budget",
  "search.branches": "--branches",
  "search.c": "--c",
  "search.alpha": "--alpha",
  "search.rewardScale": "--reward-scale",
  "search.maxDepth": "--max-depth",
  "search.temperature": "--temperature",
  "search.guided": "--guided",
  promptsDir: "--prompts-dir",
  "code.temperature": "--temperature",
  "code.maxTokens": "--max-tokens",
  "input.problems": "--problems",
  "input.questionField": "--question-field",
  "input.skipInvalid": "--skip-invalid",
  "input.limit": "--limit",
  "input.shard": "--shard",
  "server.baseUrls": "--base-url",
  "server.apiKeyEnv": "--api-key-env",
  "server.timeoutSec": "--timeout",
  "server.maxOutageSec": "--max-outage",
  "server.maxRequests": "--max-requests",
  "server.adaptive": "--no-adaptive",
  "run.concurrency": "--concurrency",
  "run.maxFailures": "--max-failures",
  "run.retryFailures": "--retry-failures",
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Merge layers left to right: objects recursively, anything else replaced; undefined never overrides. */
export function mergeLayers(...layers: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!isPlainObject(layer)) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const prev = out[key];
      out[key] = isPlainObject(value) && isPlainObject(prev) ? mergeLayers(prev, value) : value;
    }
  }
  return out;
}

/** `path: message` lines, with the flag that sets the path where there is one. */
export function describeIssues(error: z.ZodError, flagFor: Record<string, string> = FLAG_FOR_PATH): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.map(String).join(".");
    const flag = flagForPath(where, flagFor);
    const line = formatZodIssues(new z.ZodError([issue]))[0] ?? `${where}: ${issue.message}`;
    return flag ? line.replace(/^([^:]*):/, `$1 (${flag}):`) : line;
  });
}

/** Read and validate a settings file (the built-in defaults or --config). */
export async function readSettingsFile(file: string, schema: z.ZodType): Promise<Settings> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw cannotReadError(e, "config file", { file });
  }
  const json = parseJson(text);
  if (!json.ok) {
    // Name the line, as for problem files (JSON.parse only says "at position N").
    const pos = /position (\d+)/.exec(json.error);
    const line = pos ? text.slice(0, Number(pos[1])).split("\n").length : undefined;
    throw new ConfigError([`invalid JSON: ${json.error}`], line === undefined ? file : `${file}:${line}`);
  }
  const parsed = schema.safeParse(json.value);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error as z.ZodError, {}), file);
  return parsed.data as Settings;
}

export function defaultSettingsFile(): string {
  return path.join(packageRoot(), "configs", "generate.json");
}

export interface ResolveInput {
  /** configs/generate.json (validated). */
  defaults: Settings;
  /** DEFAULT_SEARCH_PARAMS. */
  searchDefaults: Record<string, unknown>;
  /** DEFAULT_RETRY_POLICY of the LLM stack. */
  retryDefaults: Record<string, unknown>;
  /** --config file (validated), if any. */
  file?: Settings;
  /** From the flags; undefined fields are not set. */
  flags: Settings;
  env: Record<string, string | undefined>;
  /** Presets of configs/models.json and the resolver (src/llm/presets.ts). */
  resolveModel: (name: string) => ModelPreset;
  /** Search-param keys that a preset's sampling sets (the search's temperature and top-p). */
  presetSearchKeys: { temperature?: string; topP?: string };
  /** Computed prompt hash and the sra version, filled by the caller. */
  promptsHash: (dir: string | null) => Promise<string>;
  sraVersion: string;
  now: Date;
  /** Schema of the resolved config. */
  schema: z.ZodType;
}

/**
 * Resolve the layers into a validated RunConfig. Throws ConfigError (exit 2) with `path (--flag): message`
 * lines.
 */
export async function resolveRunConfig<P>(input: ResolveInput): Promise<RunConfig<P>> {
  // The topmost layer that names a model decides it; an object (from a previous config.json) may
  // also pin the served name, the system-role switch and the export template.
  const modelLayer = [input.flags, input.file, input.defaults].find((s) => s?.model !== undefined)?.model;
  const name = typeof modelLayer === "string" ? modelLayer : modelLayer?.name;
  if (!name) {
    throw new UsageError(
      '--model is required: a preset (see "sra models") or a served model name (or set "model" in --config)',
    );
  }
  const preset = input.resolveModel(name);
  const pinned = typeof modelLayer === "object" ? modelLayer : undefined;
  const servedModel =
    input.flags.servedModel ?? input.file?.servedModel ?? pinned?.servedModel ?? preset.servedModel;
  const systemRole = pinned?.systemRole ?? preset.systemRole;
  const template = pinned?.template ?? preset.template;

  const envBase = input.env.OPENAI_BASE_URL?.trim();
  const searchSampling: Record<string, unknown> = {};
  if (input.presetSearchKeys.temperature)
    searchSampling[input.presetSearchKeys.temperature] = preset.sampling.temperature;
  if (input.presetSearchKeys.topP) searchSampling[input.presetSearchKeys.topP] = preset.sampling.topP;

  const layers: Settings[] = [
    {
      ...input.defaults,
      search: { ...input.searchDefaults, ...(input.defaults.search ?? {}) },
      server: {
        ...(input.defaults.server ?? {}),
        retry: { ...input.retryDefaults, ...(input.defaults.server?.retry ?? {}) },
      },
    },
    envBase ? { server: { baseUrls: [envBase] } } : {},
    {
      search: searchSampling,
      code: { temperature: preset.sampling.temperature, topP: preset.sampling.topP },
    },
    input.file ?? {},
    input.flags,
  ];
  const merged = mergeLayers(...layers.map(stripBookkeeping));
  const promptsDir = (merged.promptsDir as string | null | undefined) ?? null;
  const resolvedPromptsDir = promptsDir === null ? null : path.resolve(promptsDir);
  const input_ = isPlainObject(merged.input) ? merged.input : {};
  if (typeof input_.problems !== "string" || input_.problems === "") {
    throw new UsageError('--problems <file> is required (or set "input": {"problems": ...} in --config)');
  }
  const problems = path.resolve(input_.problems);

  const candidate = {
    version: CONFIG_VERSION,
    sraVersion: input.sraVersion,
    createdAt: input.now.toISOString(),
    updatedAt: input.now.toISOString(),
    model: { name, servedModel, systemRole, template, known: preset.known },
    strategy: merged.strategy,
    stage: merged.stage,
    seed: merged.seed,
    prompts: { dir: resolvedPromptsDir, hash: "" },
    search: merged.search,
    code: merged.code,
    input: { ...input_, problems },
    server: {
      ...(isPlainObject(merged.server) ? merged.server : {}),
    },
    run: merged.run,
  };
  const parsed = input.schema.safeParse(candidate);
  if (!parsed.success) throw configIssuesError(parsed.error as z.ZodError, input.flags);
  const config = parsed.data as RunConfig<P>;
  config.prompts.hash = await input.promptsHash(config.prompts.dir);
  return config;
}

/**
 * The error for an invalid merged config. When every issue is about a value typed as a flag, one
 * UsageError line per flag (`--c -1: too small: expected number to be >=0`); otherwise a ConfigError
 * with `path (--flag): message` lines (the value may come from --config).
 */
export function configIssuesError(error: z.ZodError, flags: Settings): ConfigError | UsageError {
  const fromFlags = error.issues.map((issue) => {
    const where = issue.path.map(String).join(".");
    const flag = flagForPath(where, FLAG_FOR_PATH);
    const value = at(flags, where);
    if (!flag || value === undefined) return undefined;
    const message = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
    const shown = typeof value === "object" ? JSON.stringify(value) : String(value);
    return `${flag} ${shown}: ${message}`;
  });
  if (fromFlags.every((l) => l !== undefined)) return new UsageError([...new Set(fromFlags)].join("; "));
  return new ConfigError(describeIssues(error));
}

/** Drop the bookkeeping fields a previous config.json carries and flatten `model`/`prompts`. */
const BOOKKEEPING = new Set([
  "version",
  "sraVersion",
  "createdAt",
  "updatedAt",
  "model",
  "prompts",
  "servedModel",
]);

function stripBookkeeping(s: Settings): Record<string, unknown> {
  const rest = Object.fromEntries(Object.entries(s).filter(([k]) => !BOOKKEEPING.has(k)));
  const prompts = s.prompts;
  const out: Record<string, unknown> = { ...rest };
  if (prompts?.dir !== undefined && rest.promptsDir === undefined) out.promptsDir = prompts.dir;
  return out;
}

/** The value at a dotted path. */
function at(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const key of dotted.split(".")) {
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isPlainObject(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}

/** The flag for a config path; array elements (`server.baseUrls.0`) belong to their array's flag. */
function flagForPath(where: string, flagFor: Record<string, string>): string | undefined {
  return flagFor[where] ?? flagFor[where.replace(/(\.\d+)+$/, "")];
}

/** Leaf paths of a value under a prefix (objects expanded, arrays and scalars are leaves). */
function leaves(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, `${prefix}.${k}`, out);
    return;
  }
  out.set(prefix, value);
}

export interface ConfigDifference {
  path: string;
  saved: unknown;
  current: unknown;
}

/** The result-affecting fields on which two configs differ. */
export function diffResultFields(
  saved: unknown,
  current: unknown,
  fields: readonly string[] = RESULT_FIELDS,
): ConfigDifference[] {
  const diffs: ConfigDifference[] = [];
  for (const field of fields) {
    const a = new Map<string, unknown>();
    const b = new Map<string, unknown>();
    leaves(at(saved, field), field, a);
    leaves(at(current, field), field, b);
    const keys = new Set([...a.keys(), ...b.keys()]);
    for (const key of [...keys].sort()) {
      const x = a.get(key);
      const y = b.get(key);
      if (JSON.stringify(x) !== JSON.stringify(y)) diffs.push({ path: key, saved: x, current: y });
    }
  }
  return diffs;
}

export function formatDifference(d: ConfigDifference): string {
  const show = (v: unknown): string => (v === undefined ? "(unset)" : JSON.stringify(v));
  return `${d.path}: the run has ${show(d.saved)}, this command has ${show(d.current)}`;
}
