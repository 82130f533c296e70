import * as path from "node:path";
import { z } from "zod";
import { type ConfigError, UsageError } from "../errors.js";
import type { ModelPreset } from "../llm/presets.js";
import {
  flagsByPath,
  partialTableSchema,
  tableDefaults,
  tableEntries,
  tableSchema,
  valueAt,
} from "../util/option-table.js";
import {
  describeIssues as describeLayerIssues,
  layersIssuesError,
  mergeLayers,
  readSettingsFile as readLayerFile,
} from "../util/settings-layers.js";
import { GENERATE_SETTINGS } from "./generate-settings.js";

export const CONFIG_VERSION = 1;

export const modelSectionSchema = z
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

/** The table's settings that config.json holds as they are (model and prompts are resolved). */
const {
  model: _model,
  servedModel: _servedModel,
  promptsDir: _promptsDir,
  ...CONFIG_SECTIONS
} = GENERATE_SETTINGS;
const sections = tableSchema(CONFIG_SECTIONS).shape;

/** The resolved config (config.json), in the order it is written. */
export const runConfigSchema = z
  .object({
    version: z.literal(CONFIG_VERSION),
    sraVersion: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    model: modelSectionSchema,
    strategy: sections.strategy,
    stage: sections.stage,
    seed: sections.seed,
    prompts: promptsSectionSchema,
    search: sections.search,
    code: sections.code,
    check: sections.check,
    input: sections.input,
    server: sections.server,
    run: sections.run,
  })
  .strict();

export type RunConfig = z.infer<typeof runConfigSchema>;
export type CodeParams = RunConfig["code"];

/**
 * What a `--config` file (and the flags) may set: every setting of the table, each optional, unknown
 * keys rejected; plus the bookkeeping of a previous run's config.json (accepted and ignored, so
 * `--config runs/a/config.json` reproduces run a).
 */
export const settingsSchema = partialTableSchema(GENERATE_SETTINGS).extend({
  version: z.number().optional(),
  sraVersion: z.string().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  prompts: z
    .object({ dir: z.string().nullable().optional(), hash: z.string().optional() })
    .strict()
    .optional(),
});

export type Settings = z.infer<typeof settingsSchema>;

/** The defaults layer: every default of the table. */
export function defaultSettings(): Settings {
  return structuredClone(tableDefaults(GENERATE_SETTINGS)) as Settings;
}

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
export const FLAG_FOR_PATH: Readonly<Record<string, string>> = {
  ...flagsByPath(tableEntries(GENERATE_SETTINGS)),
  // --served-model's value ends up in the resolved model section.
  "model.servedModel": "--served-model",
};

export { mergeLayers };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `path (--flag): message` lines of a config's issues. */
export function describeIssues(error: z.ZodError, flagFor: Record<string, string> = FLAG_FOR_PATH): string[] {
  return describeLayerIssues(error, flagFor);
}

/** Read and validate a settings file (--config). */
export function readSettingsFile(file: string): Promise<Settings> {
  return readLayerFile(file, settingsSchema);
}

export interface ResolveInput {
  /** --config file (validated), if any. */
  file?: Settings;
  /** From the flags; undefined fields are not set. */
  flags: Settings;
  env: Record<string, string | undefined>;
  /** Presets of configs/models.json and the resolver (src/llm/presets.ts). */
  resolveModel: (name: string) => ModelPreset;
  /** Computed prompt hash and the sra version, filled by the caller. */
  promptsHash: (dir: string | null) => Promise<string>;
  sraVersion: string;
  now: Date;
}

/**
 * Resolve the layers into a validated RunConfig. Throws ConfigError (exit 2) with `path (--flag): message`
 * lines.
 */
export async function resolveRunConfig(input: ResolveInput): Promise<RunConfig> {
  const resolved = resolveModelSection(input.flags, input.file, input.resolveModel);
  if (!resolved) {
    throw new UsageError(
      '--model is required: a preset (see "sra models") or a served model name (or set "model" in --config)',
    );
  }
  const { preset, section: modelSection } = resolved;

  const envBase = input.env.OPENAI_BASE_URL?.trim();
  const sampling = { temperature: preset.sampling.temperature, topP: preset.sampling.topP };
  const layers: Settings[] = [
    defaultSettings(),
    envBase ? { server: { baseUrls: [envBase] } } : {},
    { search: sampling, code: sampling },
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
    model: modelSection,
    strategy: merged.strategy,
    stage: merged.stage,
    seed: merged.seed,
    prompts: { dir: resolvedPromptsDir, hash: "" },
    search: merged.search,
    code: merged.code,
    check: merged.check,
    input: { ...input_, problems },
    server: {
      ...(isPlainObject(merged.server) ? merged.server : {}),
    },
    run: merged.run,
  };
  const parsed = runConfigSchema.safeParse(candidate);
  if (!parsed.success) throw configIssuesError(parsed.error, input.flags);
  const config = parsed.data;
  config.prompts.hash = await input.promptsHash(config.prompts.dir);
  return config;
}

/** The settings layers that may name the model: --model / --served-model, a file's `model`. */
export interface ModelLayer {
  model?: Settings["model"];
  servedModel?: string | undefined;
}

/**
 * The model section of a config from the flags and a settings file: the topmost layer that names a
 * model decides it; an object (from a previous config.json) may also pin the served name, the
 * system-role switch and the export template. Undefined when no layer names one.
 */
export function resolveModelSection(
  flags: ModelLayer,
  file: ModelLayer | undefined,
  resolveModel: (name: string) => ModelPreset,
): { section: RunConfig["model"]; preset: ModelPreset } | undefined {
  const modelLayer = [flags, file].find((s) => s?.model !== undefined)?.model;
  const name = typeof modelLayer === "string" ? modelLayer : modelLayer?.name;
  if (!name) return undefined;
  const preset = resolveModel(name);
  const pinned = typeof modelLayer === "object" ? modelLayer : undefined;
  const servedModel = flags.servedModel ?? file?.servedModel ?? pinned?.servedModel ?? preset.servedModel;
  const section = {
    name,
    servedModel,
    systemRole: pinned?.systemRole ?? preset.systemRole,
    template: pinned?.template ?? preset.template,
    known: preset.known,
  };
  return { section, preset };
}

/** The error for an invalid merged config: a UsageError naming the flags, or a ConfigError. */
export function configIssuesError(error: z.ZodError, flags: Settings): ConfigError | UsageError {
  return layersIssuesError(error, flags, FLAG_FOR_PATH);
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
    leaves(valueAt(saved, field), field, a);
    leaves(valueAt(current, field), field, b);
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
