/**
 * Everything generate settles before it touches the run directory: the resolved config (option
 * table defaults, preset, --config, flags; src/run/config.ts), the prompts and their hash, the API key
 * from the environment, and the check that a resumed run's saved config.json agrees on every setting
 * that changes results.
 */
import * as path from "node:path";
import { ConfigError, UsageError } from "../errors.js";
import type { LlmStackOptions } from "../llm/create-llm-stack.js";
import { loadPresets, resolveModel } from "../llm/presets.js";
import { hashPromptTemplates, loadPromptSet, PROMPT_NAMES, type PromptSet } from "../roles/prompts.js";
import { readSavedConfig } from "../run-dir/config-file.js";
import { valueAt } from "../util/option-table.js";
import { VERSION } from "../version.js";
import {
  defaultSettings,
  diffResultFields,
  formatDifference,
  type RunConfig,
  readSettingsFile,
  resolveRunConfig,
  type Settings,
} from "./config.js";
import { PLACEHOLDER_API_KEY } from "./generate-settings.js";

/** Where a run's settings come from, above the defaults and the preset. */
export interface ConfigSources {
  /** The flags, as the top settings layer. */
  settings: Settings;
  /** --config file. */
  configFile?: string;
  /** configs/models.json by default. */
  presetsFile?: string;
}

/** sha256 of the five prompt files' parsed texts, in a fixed order. */
export function hashPromptSet(prompts: PromptSet): string {
  return hashPromptTemplates(PROMPT_NAMES.map((name) => [name, prompts[name]]));
}

/** Paths in a --config file are relative to that file, as in tsconfig.json (flags: to the cwd). */
function resolveSettingsPaths(s: Settings, base: string): Settings {
  const out: Settings = { ...s };
  if (out.input?.problems !== undefined)
    out.input = { ...out.input, problems: path.resolve(base, out.input.problems) };
  if (typeof out.promptsDir === "string") out.promptsDir = path.resolve(base, out.promptsDir);
  if (typeof out.prompts?.dir === "string")
    out.prompts = { ...out.prompts, dir: path.resolve(base, out.prompts.dir) };
  return out;
}

/** Resolve every layer into the run's config (no I/O beyond reading the config/preset/prompt files). */
export async function resolveConfig(
  sources: ConfigSources,
  env: Record<string, string | undefined>,
  now: Date,
): Promise<{ config: RunConfig; prompts: PromptSet }> {
  const file = sources.configFile
    ? resolveSettingsPaths(await readSettingsFile(sources.configFile), path.dirname(sources.configFile))
    : undefined;
  const presets = await loadPresets(sources.presetsFile);
  let prompts: PromptSet | undefined;
  const config = await resolveRunConfig({
    file,
    flags: sources.settings,
    env,
    resolveModel: (name) => resolveModel(name, presets),
    promptsHash: async (dir) => {
      prompts = await loadPromptSet(dir ?? undefined);
      return hashPromptSet(prompts);
    },
    sraVersion: VERSION,
    now,
  });
  if (!prompts) throw new Error("prompts were not loaded");
  return { config, prompts };
}

/**
 * The API key from the environment. A variable named on purpose (flag or --config) must be set; the
 * default one may be unset (a local server without a key), and then PLACEHOLDER_API_KEY is sent.
 */
export function readApiKey(
  config: Pick<RunConfig, "server">,
  env: Record<string, string | undefined>,
): string {
  const name = config.server.apiKeyEnv;
  const value = env[name];
  if (value !== undefined && value !== "") return value;
  if (name !== valueAt(defaultSettings(), "server.apiKeyEnv")) {
    throw new UsageError(`--api-key-env ${name}: that environment variable is not set`, {
      hint: `export ${name}=... first, or leave --api-key-env out for a local server without a key`,
    });
  }
  return PLACEHOLDER_API_KEY;
}

/**
 * Compare with the run directory's saved config. Fields that change results must agree (or the run
 * would mix two settings); the rest (speed, selection) may change. Returns the saved createdAt.
 */
export async function checkSavedConfig(dir: string, config: RunConfig): Promise<string | undefined> {
  const read = await readSavedConfig(dir);
  if (read.status === "missing") return undefined;
  const file = read.file;
  if (read.status === "invalid") {
    const why = read.reason === "type" ? "wrong type" : read.error;
    throw new ConfigError([`not a JSON object: ${why}`], file, {
      hint: "the run's config.json is damaged; restore it or start a new --out directory",
    });
  }
  const diffs = diffResultFields(read.raw, config);
  if (diffs.length > 0) {
    throw new ConfigError(diffs.map(formatDifference), file, {
      hint:
        "these settings change the results, so this run cannot be resumed with them: " +
        `rerun with the saved ones (drop those flags, or add --config ${file}), or write to a new --out directory`,
    });
  }
  return read.config.createdAt;
}

/**
 * What the LLM stack is given for a run (generate's, or any command's with the same server and model
 * sections: eval's); the command adds its logger and clock when it opens it.
 */
export function llmStackOptions(
  config: Pick<RunConfig, "server" | "model"> & { search?: { guided: boolean } },
  apiKey: string,
): LlmStackOptions {
  return {
    endpoints: config.server.baseUrls,
    apiKey,
    model: config.model.servedModel,
    systemRole: config.model.systemRole,
    timeoutMs: Math.round(config.server.timeoutSec * 1000),
    retry: config.server.retry,
    maxOutageMs: Math.round(config.server.maxOutageSec * 1000),
    maxRequests: config.server.maxRequests,
    adaptive: config.server.adaptive,
    guided: config.search?.guided ? "vllm" : "off",
  };
}
