import * as path from "node:path";
import { z } from "zod";
import { type ConfigError, UsageError } from "../errors.js";
import { DEFAULT_PARALLEL } from "../llm/llama-cpp/defaults.js";
import {
  chooseEngine,
  DEFAULT_IN_PROCESS_MODEL,
  type EngineName,
  IN_PROCESS_DEFAULTS,
} from "../llm/llm-settings.js";
import { ggufSourceSchema, type ModelPreset } from "../llm/presets.js";
import { strategyParamsShape } from "../search/strategy-params.js";
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

/** Which GGUF file: a Hugging Face repo and quantisation (a preset's source), or a local file. */
export const ggufIdentitySchema = z.union([
  ggufSourceSchema,
  z.object({ path: z.string().min(1), bytes: z.number().int().min(0) }).strict(),
]);
export type GgufIdentity = z.infer<typeof ggufIdentitySchema>;

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
    /**
     * In process only: the GGUF file the engine loads, a preset's source or a --gguf file (its
     * absolute path and size). A resumed run must load the same one.
     */
    gguf: ggufIdentitySchema.optional(),
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
    engine: sections.engine,
    strategy: sections.strategy,
    stage: sections.stage,
    seed: sections.seed,
    prompts: promptsSectionSchema,
    search: sections.search,
    code: sections.code,
    check: sections.check,
    input: sections.input,
    server: sections.server,
    llamaCpp: sections.llamaCpp,
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
  "engine",
  "strategy",
  "seed",
  "prompts.hash",
  "search",
  "code",
  "input.questionField",
  "input.idField",
] as const;

/** What changes results on the in-process engine only: the model file, and the room a reply has. */
export const IN_PROCESS_RESULT_FIELDS = ["model.gguf", "llamaCpp.contextSize"] as const;

/** The result fields of a run with this engine. */
export function resultFields(engine: EngineName | undefined): string[] {
  return engine === "llama-cpp" ? [...RESULT_FIELDS, ...IN_PROCESS_RESULT_FIELDS] : [...RESULT_FIELDS];
}

/**
 * Settings added after runs were first saved, with the value that is what such a run did: the other
 * strategies' parameters (an mcts or cot run never read them; --verify-end off) and --code-style plain.
 */
const ADDED_SETTINGS: Readonly<Record<"search" | "code", Record<string, unknown>>> = {
  search: Object.fromEntries(
    Object.keys(strategyParamsShape).map((k) => [k, valueAt(defaultSettings(), `search.${k}`)]),
  ),
  code: { style: "plain" },
};

/**
 * A saved config.json as a comparable one: a run made before the engine could be chosen ran on a
 * server, and settings it predates read as ADDED_SETTINGS.
 */
export function withSavedEngine(raw: unknown): Record<string, unknown> {
  const saved = isPlainObject(raw) ? raw : {};
  const out: Record<string, unknown> = { engine: "openai", ...saved };
  for (const section of ["search", "code"] as const) {
    const own = saved[section];
    if (isPlainObject(own)) out[section] = { ...ADDED_SETTINGS[section], ...own };
  }
  return out;
}

/**
 * The result fields on which two run configs differ (resume: saved vs this command; merge: run vs
 * run), configs saved before the engine setting read as the server's, and the in-process fields
 * compared when `b` runs in process.
 */
export function diffRunConfigs(a: unknown, b: unknown): ConfigDifference[] {
  const left = withSavedEngine(a);
  const right = withSavedEngine(b);
  return diffResultFields(left, right, resultFields(right.engine as EngineName));
}

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
  promptsHash: (dir: string | null, run: { strategy: string; codeStyle: string }) => Promise<string>;
  /** A --gguf file's absolute path and size, once checked (the in-process engine only). */
  localGguf: (file: string) => Promise<{ path: string; bytes: number }>;
  sraVersion: string;
  now: Date;
  /** Required options of the command that were not given (e.g. "--out <dir>"), reported with the settings'. */
  missing?: readonly string[];
}

/** The settings layers that choose the engine: --engine, --base-url (a file's too). */
export interface EngineLayer {
  engine?: EngineName | undefined;
  server?: { baseUrls?: string[] | undefined } | undefined;
}

/**
 * The engine by the rule (src/llm/llm-settings.ts): explicit, else a base URL (a layer's, else
 * $OPENAI_BASE_URL) means the server. For every command that calls a model.
 */
export function resolveEngine(
  flags: EngineLayer,
  file: EngineLayer | undefined,
  env: Record<string, string | undefined>,
): EngineName {
  const envBase = env.OPENAI_BASE_URL?.trim();
  const baseUrls = flags.server?.baseUrls ?? file?.server?.baseUrls ?? (envBase ? [envBase] : []);
  return chooseEngine({ explicit: flags.engine ?? file?.engine, baseUrls });
}

/** The settings layers that may name the model: --model / --served-model, a file's `model`, --gguf. */
export interface ModelLayer {
  model?: Settings["model"];
  servedModel?: string | undefined;
  llamaCpp?: { gguf?: string | null | undefined } | undefined;
}

/**
 * The model section of a command's config (generate's, eval's): the topmost layer that names a model
 * decides; an object (from a previous config.json) may also pin the served name, the system-role
 * switch and the export template. In process without a name: the --gguf file's name, else
 * DEFAULT_IN_PROCESS_MODEL. Undefined when no layer names one and the engine is a server.
 */
export function resolveModelSection(
  flags: ModelLayer,
  file: ModelLayer | undefined,
  engine: EngineName,
  resolveModel: (name: string) => ModelPreset,
): { section: RunConfig["model"]; preset: ModelPreset } | undefined {
  const modelLayer = [flags, file].find((s) => s?.model !== undefined)?.model;
  const gguf = flags.llamaCpp?.gguf ?? file?.llamaCpp?.gguf;
  const inProcessName = gguf ? path.basename(gguf).replace(/\.gguf$/i, "") : DEFAULT_IN_PROCESS_MODEL;
  const name =
    (typeof modelLayer === "string" ? modelLayer : modelLayer?.name) ??
    (engine === "llama-cpp" ? inProcessName : undefined);
  if (!name) return undefined;
  const preset = resolveModel(name);
  const pinned = typeof modelLayer === "object" ? modelLayer : undefined;
  const section = {
    name,
    servedModel: flags.servedModel ?? file?.servedModel ?? pinned?.servedModel ?? preset.servedModel,
    systemRole: pinned?.systemRole ?? preset.systemRole,
    template: pinned?.template ?? preset.template,
    known: preset.known,
  };
  return { section, preset };
}

function runModelSection(input: ResolveInput, engine: EngineName) {
  const resolved = resolveModelSection(input.flags, input.file, engine, input.resolveModel);
  if (!resolved) {
    throw new UsageError(
      '--model is required with a server: a preset (see "sra models") or a served model name (or set "model" in --config)',
    );
  }
  return resolved;
}

/** The defaults that differ in process (IN_PROCESS_DEFAULTS), as a settings layer; {} for a server. */
function inProcessLayer(engine: EngineName, input: ResolveInput): Settings {
  if (engine !== "llama-cpp") return {};
  const parallel = input.flags.llamaCpp?.parallel ?? input.file?.llamaCpp?.parallel ?? DEFAULT_PARALLEL;
  return {
    search: { guided: IN_PROCESS_DEFAULTS.guided },
    server: { timeoutSec: IN_PROCESS_DEFAULTS.timeoutSec },
    run: { concurrency: IN_PROCESS_DEFAULTS.problemsPerSequence * parallel },
  };
}

/** Which GGUF file the in-process engine loads: --gguf, else the preset's source (generate's, eval's). */
export async function ggufIdentity(
  config: { llamaCpp: { gguf: string | null }; model: { name: string } },
  preset: ModelPreset,
  localGguf: ResolveInput["localGguf"],
): Promise<GgufIdentity> {
  if (config.llamaCpp.gguf !== null) return localGguf(config.llamaCpp.gguf);
  if (preset.gguf) return preset.gguf;
  throw new UsageError(
    `model "${config.model.name}" has no GGUF source for the in-process engine: give a local file with --gguf PATH, or a server with --base-url URL`,
  );
}

/**
 * Resolve the layers into a validated RunConfig. Throws ConfigError (exit 2) with `path (--flag): message`
 * lines.
 */
export async function resolveRunConfig(input: ResolveInput): Promise<RunConfig> {
  const engine = resolveEngine(input.flags, input.file, input.env);
  // Every required option that is missing, in one message: a new user fixes them in one try. A model
  // is required with a server only; in process the default model runs.
  const named = [input.flags, input.file].some((s) => s?.model !== undefined);
  const problemsSetting = [input.flags, input.file].find((s) => s?.input?.problems !== undefined)?.input
    ?.problems;
  const missing = [
    ...(input.missing ?? []),
    ...(named || engine === "llama-cpp"
      ? []
      : ['--model <name> (a preset, see "sra models", or a served model name; required with a server)']),
    ...(problemsSetting ? [] : ["--problems <file>"]),
  ];
  if (missing.length > 0) throw missingOptionsError(missing);
  const { section, preset } = runModelSection(input, engine);
  const envBase = input.env.OPENAI_BASE_URL?.trim();
  const sampling = { temperature: preset.sampling.temperature, topP: preset.sampling.topP };
  const layers: Settings[] = [
    defaultSettings(),
    envBase ? { server: { baseUrls: [envBase] } } : {},
    inProcessLayer(engine, input),
    { search: sampling, code: sampling },
    input.file ?? {},
    input.flags,
  ];
  const merged = mergeLayers(...layers.map(stripBookkeeping));
  const promptsDir = (merged.promptsDir as string | null | undefined) ?? null;
  const resolvedPromptsDir = promptsDir === null ? null : path.resolve(promptsDir);
  const input_ = isPlainObject(merged.input) ? merged.input : {};
  if (typeof input_.problems !== "string" || input_.problems === "")
    throw missingOptionsError(["--problems <file>"]);
  const problems = path.resolve(input_.problems);
  const llamaCpp = isPlainObject(merged.llamaCpp) ? merged.llamaCpp : {};
  const gguf = typeof llamaCpp.gguf === "string" ? path.resolve(llamaCpp.gguf) : llamaCpp.gguf;

  const candidate = {
    version: CONFIG_VERSION,
    sraVersion: input.sraVersion,
    createdAt: input.now.toISOString(),
    updatedAt: input.now.toISOString(),
    model: section,
    engine,
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
    llamaCpp: { ...llamaCpp, gguf },
    run: merged.run,
  };
  const parsed = runConfigSchema.safeParse(candidate);
  if (!parsed.success) throw configIssuesError(parsed.error, input.flags);
  const config = parsed.data;
  if (engine === "openai" && config.server.baseUrls.length === 0) {
    throw new UsageError(
      "--engine openai needs a server: give --base-url URL (or set $OPENAI_BASE_URL); sra no longer assumes http://localhost:8000/v1",
    );
  }
  if (config.search.verifyEnd && config.strategy !== "mcts") {
    // best-of-n, self-consistency and revision choose by a problem's tests on their own.
    throw new UsageError(
      `--verify-end tests SRA-MCTS's terminal plans: it applies to --strategy mcts, not ${config.strategy}`,
    );
  }
  if (engine === "llama-cpp") config.model.gguf = await ggufIdentity(config, preset, input.localGguf);
  config.prompts.hash = await input.promptsHash(config.prompts.dir, {
    strategy: config.strategy,
    codeStyle: config.code.style,
  });
  return config;
}

/** Required options not given: one UsageError naming them all (exit 2). */
export function missingOptionsError(missing: readonly string[]): UsageError {
  const list = missing.length === 1 ? ` ${missing[0]}` : `\n${missing.map((m) => `  ${m}`).join("\n")}`;
  const settings = missing.some((m) => /^--(model|problems) /.test(m));
  return new UsageError(
    `missing required option${missing.length === 1 ? "" : "s"}:${list}`,
    settings
      ? {
          hint: '--model and --problems may also come from --config (as "model" and "input": {"problems": ...})',
        }
      : {},
  );
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

/**
 * The result-affecting fields on which two configs differ. A setting one of them lacks (a config.json
 * written before the setting existed) counts as its default: a new setting's default is the
 * behaviour from before it, so such a run resumes and merges with runs that state the default.
 */
export function diffResultFields(
  saved: unknown,
  current: unknown,
  fields: readonly string[] = RESULT_FIELDS,
): ConfigDifference[] {
  const defaults = tableDefaults(GENERATE_SETTINGS);
  const isDefault = (key: string, v: unknown) =>
    v !== undefined && JSON.stringify(v) === JSON.stringify(valueAt(defaults, key));
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
      if (JSON.stringify(x) === JSON.stringify(y)) continue;
      if ((x === undefined && isDefault(key, y)) || (y === undefined && isDefault(key, x))) continue;
      diffs.push({ path: key, saved: x, current: y });
    }
  }
  return diffs;
}

export function formatDifference(d: ConfigDifference): string {
  const show = (v: unknown): string => (v === undefined ? "(unset)" : JSON.stringify(v));
  return `${d.path}: the run has ${show(d.saved)}, this command has ${show(d.current)}`;
}
