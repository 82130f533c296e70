/**
 * Opening a model for a command, in one call: check first, then build the LLM stack (createLlmStack:
 * the base model, the limiter, retries). The check, for a server: GET /models (unreachable, 401,
 * model not served fail at once, before any work); in process: node-llama-cpp is installed and the
 * model file is there (--gguf, the cache, or downloaded now, with progress; offline it fails in one
 * line). generate does the two halves apart (it checks before it writes the run directory and opens
 * the stack once its log exists); other commands (eval, models) use openLlmStack, checkLlm or
 * checkLlmServers.
 */
import { createLlmStack, type LlmStack, type LlmStackOptions } from "./create-llm-stack.js";
import type { ModelFile } from "./llama-cpp/model-file.js";
import { resolveInProcessModel } from "./llama-cpp/open-engine.js";
import { checkServer } from "./server-check.js";

/** What one server said when checked. */
export interface ServerReport {
  url: string;
  /** Model ids it lists (empty when it has no /models). */
  models: string[];
  /** The check could not be completed but work may go on (e.g. /models answered 404). */
  warning?: string;
}

/** The check waits for each server this long at most: a server that is down now is reported now. */
export const SERVER_CHECK_MAX_MS = 30_000;

/**
 * Check every endpoint, one after another (no retries). With `model`, a server that does not serve
 * it is a ServerCheckError; without, the served models are only listed. `checkTimeoutMs` defaults to
 * the request deadline, at most SERVER_CHECK_MAX_MS.
 */
export async function checkLlmServers(
  setup: Pick<LlmStackOptions, "endpoints" | "apiKey" | "timeoutMs"> & { model?: string },
  options: { checkTimeoutMs?: number } = {},
): Promise<ServerReport[]> {
  const timeoutMs = options.checkTimeoutMs ?? Math.min(setup.timeoutMs, SERVER_CHECK_MAX_MS);
  const reports: ServerReport[] = [];
  for (const url of setup.endpoints) {
    const check = await checkServer({
      baseUrl: url,
      apiKey: setup.apiKey,
      ...(setup.model !== undefined ? { model: setup.model } : {}),
      timeoutMs,
    });
    reports.push({ url, models: check.models, ...(check.warning ? { warning: check.warning } : {}) });
  }
  return reports;
}

/** The warnings of a check, for a banner and a log. */
export function checkWarnings(reports: readonly ServerReport[]): string[] {
  return reports.flatMap((r) => (r.warning ? [r.warning] : []));
}

/** What the check found: the servers' warnings, or the in-process engine's model file. */
export interface LlmCheck {
  warnings: string[];
  /** In process: the file the engine will load. */
  modelFile?: ModelFile;
}

/** The check before any work, for either engine. */
export async function checkLlm(o: LlmStackOptions): Promise<LlmCheck> {
  if (o.engine === "llama-cpp") {
    if (!o.inProcess) throw new Error("checkLlm: engine llama-cpp needs inProcess options");
    return { warnings: [], modelFile: await resolveInProcessModel(o.inProcess) };
  }
  return { warnings: checkWarnings(await checkLlmServers(o)) };
}

/** The options with what the check found (the model file, so opening does not look for it again). */
export function withCheck(o: LlmStackOptions, check: LlmCheck): LlmStackOptions {
  if (!o.inProcess || !check.modelFile) return o;
  return { ...o, inProcess: { ...o.inProcess, file: check.modelFile } };
}

/** Check (the servers serve `o.model`, or the model file is there), then open the stack. Close it when done. */
export async function openLlmStack(o: LlmStackOptions): Promise<{ stack: LlmStack; warnings: string[] }> {
  const check = await checkLlm(o);
  return { stack: await createLlmStack(withCheck(o, check)), warnings: check.warnings };
}
