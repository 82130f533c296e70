/**
 * `sra models`: the model presets (configs/models.json), each with the GGUF file the in-process
 * engine runs and whether it is in the cache already, and, with a base URL, what a server serves.
 * Returns data; src/cli/models.ts prints it as a table or JSON.
 */

import { describeError, EngineError } from "../errors.js";
import { formatBytes } from "../llm/llama-cpp/banner.js";
import { importEngine, type NodeLlamaCppModule } from "../llm/llama-cpp/load-engine.js";
import { defaultModelsDir, type PresetModelFile, presetModelFiles } from "../llm/llama-cpp/model-file.js";
import { checkLlmServers } from "../llm/open-llm.js";
import { defaultPresetsFile, loadPresets } from "../llm/presets.js";

export interface ModelsOptions {
  /** Presets file (default: the bundled configs/models.json). */
  presetsFile?: string;
  /** Also ask this server (GET /models) what it serves. */
  baseUrl?: string;
  apiKey?: string;
  timeoutMs?: number;
  /** Where the GGUF files are cached (default: the cache's models folder). */
  modelsDir?: string;
  /** node-llama-cpp, to tell which files are cached (default: importEngine(); missing: not told). */
  engine?: () => Promise<NodeLlamaCppModule>;
}

export interface ModelRow {
  name: string;
  description: string;
  servedModel: string;
  hfId: string;
  systemRole: boolean;
  /** LLaMA-Factory template used at export. */
  template: string;
  contextLength: number;
  temperature: number;
  topP: number;
  /** The GGUF file the in-process engine downloads (`hf:<repo>:<quant>`); absent: none. */
  gguf?: string;
  /** Whether it is in the cache; null when that cannot be told (the engine is not installed). */
  cached?: boolean | null;
  /** The cached file and its size. */
  file?: { path: string; bytes: number };
  /** With a server: whether it serves this preset's servedModel. */
  served?: boolean;
}

export interface ModelsReport {
  presetsFile: string;
  /** Where the in-process engine keeps its GGUF files. */
  modelsDir: string;
  /** Why the cache could not be looked at (the engine is missing or does not load). */
  cacheNote?: string;
  presets: ModelRow[];
  server?: { url: string; models: string[]; warning?: string };
}

/** The engine, or the reason it cannot be had (so `sra models` still lists the presets). */
async function loadEngine(
  load: () => Promise<NodeLlamaCppModule>,
): Promise<{ engine?: NodeLlamaCppModule; note?: string }> {
  try {
    return { engine: await load() };
  } catch (e) {
    if (e instanceof EngineError) return { note: describeError(e) };
    throw e;
  }
}

function ggufColumns(f: PresetModelFile | undefined): Pick<ModelRow, "gguf" | "cached" | "file"> {
  if (!f?.uri) return {};
  return {
    gguf: f.uri,
    cached: f.cached ?? null,
    ...(f.path !== undefined && f.bytes !== undefined ? { file: { path: f.path, bytes: f.bytes } } : {}),
  };
}

export async function listModels(options: ModelsOptions = {}): Promise<ModelsReport> {
  const presetsFile = options.presetsFile ?? defaultPresetsFile();
  const presets = await loadPresets(presetsFile);
  const modelsDir = options.modelsDir ?? defaultModelsDir();
  const { engine, note } = await loadEngine(options.engine ?? (() => importEngine()));
  const files = await presetModelFiles(presets, { modelsDir, engine });
  const rows: ModelRow[] = presets.map((p, i) => ({
    name: p.name,
    description: p.description,
    servedModel: p.servedModel,
    hfId: p.hfId,
    systemRole: p.systemRole,
    template: p.template,
    contextLength: p.contextLength,
    temperature: p.sampling.temperature,
    topP: p.sampling.topP,
    ...ggufColumns(files[i]),
  }));
  const base = { presetsFile, modelsDir, ...(note ? { cacheNote: note } : {}) };
  if (options.baseUrl === undefined) return { ...base, presets: rows };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const [check] = await checkLlmServers(
    { endpoints: [options.baseUrl], apiKey: options.apiKey ?? "", timeoutMs },
    { checkTimeoutMs: timeoutMs },
  );
  if (!check) throw new Error("no server report");
  const served = new Set(check.models);
  return {
    ...base,
    presets: rows.map((r) => ({ ...r, served: served.has(r.servedModel) || served.has(r.hfId) })),
    server: {
      url: options.baseUrl.replace(/\/+$/, ""),
      models: check.models,
      ...(check.warning ? { warning: check.warning } : {}),
    },
  };
}

/** Columns padded to their widest cell, two spaces apart. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function cachedCell(p: ModelRow): string {
  if (p.gguf === undefined) return "-";
  if (p.cached === null || p.cached === undefined) return "?";
  return p.cached ? `yes (${p.file ? formatBytes(p.file.bytes) : "?"})` : "no";
}

/** The report as text for a terminal. */
export function formatModelsReport(report: ModelsReport): string {
  const withServer = report.server !== undefined;
  const header = [
    "NAME",
    "SERVED MODEL",
    "SYSTEM ROLE",
    "TEMPLATE",
    "CONTEXT",
    "TEMPERATURE",
    "TOP-P",
    "GGUF (IN PROCESS)",
    "CACHED",
  ];
  if (withServer) header.push("ON SERVER");
  const rows = report.presets.map((p) => {
    const row = [
      p.name,
      p.servedModel,
      p.systemRole ? "yes" : "no",
      p.template,
      String(p.contextLength),
      String(p.temperature),
      String(p.topP),
      p.gguf?.replace(/^hf:/, "") ?? "-",
      cachedCell(p),
    ];
    if (withServer) row.push(p.served ? "yes" : "no");
    return row;
  });
  const parts = [formatTable(header, rows)];
  parts.push(
    "",
    "SYSTEM ROLE no: system prompts are folded into the first user turn (the chat template rejects a system role).",
    "TEMPLATE: the LLaMA-Factory template `sra export` writes. Any other --model is used as the served name as is.",
    `GGUF: the file the in-process engine (no --base-url) downloads once into ${report.modelsDir}; CACHED: whether it is there.`,
  );
  if (report.cacheNote) parts.push(`CACHED ?: ${report.cacheNote}`);
  if (report.server) {
    parts.push("", `${report.server.url} serves:`);
    if (report.server.models.length === 0) parts.push("  (no models listed)");
    for (const m of report.server.models) parts.push(`  ${m}`);
    if (report.server.warning) parts.push(`warning: ${report.server.warning}`);
  }
  return `${parts.join("\n")}\n`;
}
