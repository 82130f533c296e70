/**
 * Opening a model for a command, in one call: check the server(s) first (GET /models: unreachable,
 * 401, model not served fail at once, before any work), then build the LLM stack (createLlmStack:
 * endpoints, adaptive limiter, retries). generate does the two halves apart (it checks before it
 * writes the run directory and opens the stack once its log exists); other commands (eval, models)
 * use openLlmStack or checkLlmServers.
 */
import { createLlmStack, type LlmStack, type LlmStackOptions } from "./create-llm-stack.js";
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

/** Check the server(s) serve `o.model`, then open the stack. Close the stack when done. */
export async function openLlmStack(o: LlmStackOptions): Promise<{ stack: LlmStack; warnings: string[] }> {
  const warnings = checkWarnings(await checkLlmServers(o));
  return { stack: createLlmStack(o), warnings };
}
