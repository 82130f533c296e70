/**
 * config.json: written once per generate invocation (every resolved setting, see src/run/config.ts),
 * read back by a resumed generate (to refuse settings that would change results), by merge, stats
 * and export. Readers take what they need through savedConfigSchema: typed fields, unknown keys
 * kept (a merged run's `mergedFrom`, a newer version's fields), and a field of the wrong type read as
 * absent rather than failing a command that only wanted the model's name.
 */
import { z } from "zod";
import { writeFileAtomic } from "../util/jsonl.js";
import { parseJson } from "../util/parse-json.js";
import { readTextIfExists } from "../util/read-text.js";
import { runPath } from "./layout.js";

const text = z.string().optional().catch(undefined);

export const savedConfigSchema = z.looseObject({
  createdAt: text,
  strategy: text,
  model: z
    .looseObject({
      name: text,
      servedModel: text,
      template: text,
      known: z.boolean().optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
});

export type SavedConfig = z.infer<typeof savedConfigSchema>;

export type SavedConfigRead =
  | { status: "missing"; file: string }
  /** Not JSON (`error` says why), or JSON but not an object ("type"). */
  | { status: "invalid"; file: string; reason: "json"; error: string }
  | { status: "invalid"; file: string; reason: "type" }
  /** `config` typed; `raw` as written, for comparing or copying every field (resume, merge). */
  | { status: "ok"; file: string; config: SavedConfig; raw: Record<string, unknown> };

/** `<dir>/config.json`, read and typed. A file that cannot be read (not missing) is an InputError. */
export async function readSavedConfig(dir: string): Promise<SavedConfigRead> {
  const file = runPath(dir, "config");
  const content = await readTextIfExists(file);
  if (content === undefined) return { status: "missing", file };
  const json = parseJson(content);
  if (!json.ok) return { status: "invalid", file, reason: "json", error: json.error };
  const parsed = savedConfigSchema.safeParse(json.value);
  if (!parsed.success) return { status: "invalid", file, reason: "type" };
  return { status: "ok", file, config: parsed.data, raw: json.value as Record<string, unknown> };
}

/** Write `<dir>/config.json` atomically (a reader never sees half of it). */
export async function writeRunConfig(dir: string, config: unknown): Promise<void> {
  await writeFileAtomic(runPath(dir, "config"), `${JSON.stringify(config, null, 2)}\n`);
}

export interface SavedRunFacts {
  /** What --model said: a preset name, or the served model name itself. */
  model?: string;
  servedModel?: string;
  /** The LLaMA-Factory template resolved for the run's model. */
  template?: string;
  /** Whether the run's model was a preset (false: its template was guessed from its name). */
  known?: boolean;
  strategy?: string;
}

/** The model and strategy a saved config names; blank strings count as absent. */
export function savedRunFacts(config: SavedConfig): SavedRunFacts {
  const facts: SavedRunFacts = {};
  const set = (key: "model" | "servedModel" | "template" | "strategy", value: string | undefined) => {
    if (value !== undefined && value.trim() !== "") facts[key] = value;
  };
  set("model", config.model?.name);
  set("servedModel", config.model?.servedModel);
  set("template", config.model?.template);
  set("strategy", config.strategy);
  if (config.model?.known !== undefined) facts.known = config.model.known;
  return facts;
}
