/**
 * `sra models`: the model presets (configs/models.json) and, with a base URL, what a server serves.
 * Returns data; src/cli/models.ts prints it as a table or JSON.
 */

import { checkLlmServers } from "../llm/open-llm.js";
import { defaultPresetsFile, loadPresets } from "../llm/presets.js";

export interface ModelsOptions {
  /** Presets file (default: the bundled configs/models.json). */
  presetsFile?: string;
  /** Also ask this server (GET /models) what it serves. */
  baseUrl?: string;
  apiKey?: string;
  timeoutMs?: number;
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
  /** With a server: whether it serves this preset's servedModel. */
  served?: boolean;
}

export interface ModelsReport {
  presetsFile: string;
  presets: ModelRow[];
  server?: { url: string; models: string[]; warning?: string };
}

export async function listModels(options: ModelsOptions = {}): Promise<ModelsReport> {
  const presetsFile = options.presetsFile ?? defaultPresetsFile();
  const presets = await loadPresets(presetsFile);
  const rows: ModelRow[] = presets.map((p) => ({
    name: p.name,
    description: p.description,
    servedModel: p.servedModel,
    hfId: p.hfId,
    systemRole: p.systemRole,
    template: p.template,
    contextLength: p.contextLength,
    temperature: p.sampling.temperature,
    topP: p.sampling.topP,
  }));
  if (options.baseUrl === undefined) return { presetsFile, presets: rows };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const [check] = await checkLlmServers(
    { endpoints: [options.baseUrl], apiKey: options.apiKey ?? "", timeoutMs },
    { checkTimeoutMs: timeoutMs },
  );
  if (!check) throw new Error("no server report");
  const served = new Set(check.models);
  return {
    presetsFile,
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

/** The report as text for a terminal. */
export function formatModelsReport(report: ModelsReport): string {
  const withServer = report.server !== undefined;
  const header = ["NAME", "SERVED MODEL", "SYSTEM ROLE", "TEMPLATE", "CONTEXT", "TEMPERATURE", "TOP-P"];
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
    ];
    if (withServer) row.push(p.served ? "yes" : "no");
    return row;
  });
  const parts = [formatTable(header, rows)];
  parts.push(
    "",
    "SYSTEM ROLE no: system prompts are folded into the first user turn (the chat template rejects a system role).",
    "TEMPLATE: the LLaMA-Factory template `sra export` writes. Any other --model is used as the served name as is.",
  );
  if (report.server) {
    parts.push("", `${report.server.url} serves:`);
    if (report.server.models.length === 0) parts.push("  (no models listed)");
    for (const m of report.server.models) parts.push(`  ${m}`);
    if (report.server.warning) parts.push(`warning: ${report.server.warning}`);
  }
  return `${parts.join("\n")}\n`;
}
