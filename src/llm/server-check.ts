/**
 * The check before the first problem: GET {baseUrl}/models, once, no retries. It turns the three
 * set-up mistakes that would otherwise fail every problem of a run, one by one, into one clear error:
 * the server is not reachable, it rejects the key, or it does not serve the model.
 *
 * A 404 on /models is judged by the URL. When the base URL does not end in /v1 it is almost always the
 * mistake of leaving /v1 out, so we stop and say so. When it does, the server may simply not implement
 * /models (some minimal proxies do not): we return a warning and carry on, since the chat endpoint may
 * still work and the first call will say if it does not.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { ServerCheckError } from "../errors.js";
import { describeNetworkCause, redactSecret } from "./openai-llm.js";

export interface ServerCheckOptions {
  baseUrl: string;
  apiKey: string;
  /** The served model name to look for; undefined lists without checking. */
  model?: string;
  timeoutMs: number;
}

export interface ServerCheckResult {
  /** Model ids the server lists (empty when it has no /models). */
  models: string[];
  /** Set when the check could not be completed but the run may go on (e.g. /models is 404). */
  warning?: string;
}

const SERVER_HINT = "is the server running? (--base-url / $OPENAI_BASE_URL)";

/** Lists the served models; throws ServerCheckError when the server cannot be used as configured. */
export async function checkServer(options: ServerCheckOptions): Promise<ServerCheckResult> {
  const url = options.baseUrl.replace(/\/+$/, "");
  const client = new OpenAI({
    baseURL: url,
    apiKey: options.apiKey === "" ? "EMPTY" : options.apiKey,
    // A check is asked once: a server that is down now should be reported now, not in a minute.
    maxRetries: 0,
    timeout: options.timeoutMs,
  });
  let models: string[];
  try {
    const page = await client.models.list();
    const data: unknown = (page as { data?: unknown }).data;
    if (!Array.isArray(data)) {
      throw new ServerCheckError(
        `${url}/models did not return a model list: is this an OpenAI-compatible server?`,
        {
          hint: "the base URL usually ends in /v1 (e.g. http://localhost:8000/v1)",
        },
      );
    }
    models = data
      .map((m) => (m as { id?: unknown } | null)?.id)
      .filter((id): id is string => typeof id === "string");
  } catch (e) {
    if (e instanceof ServerCheckError) throw e;
    if (e instanceof APIError && e.status === 404) return noModelsRoute(url);
    throw toServerCheckError(e, url, options);
  }
  if (options.model === undefined) return { models };
  if (models.length === 0) {
    return { models, warning: `${url} lists no models; cannot check that it serves ${options.model}` };
  }
  if (!models.includes(options.model)) {
    throw new ServerCheckError(
      `model ${options.model} is not served by ${url}; it serves: ${models.join(", ")}`,
      {
        hint: "pass the served name with --served-model (a preset's servedModel must match vLLM's --served-model-name)",
      },
    );
  }
  return { models };
}

function toServerCheckError(e: unknown, url: string, options: ServerCheckOptions): ServerCheckError {
  const redact = (s: string): string => redactSecret(s, options.apiKey);
  if (e instanceof APIConnectionTimeoutError) {
    return new ServerCheckError(
      `cannot reach ${url}: no answer within ${options.timeoutMs} ms; ${SERVER_HINT}`,
      {
        cause: e,
      },
    );
  }
  if (e instanceof APIConnectionError) {
    return new ServerCheckError(redact(`cannot reach ${url}: ${describeNetworkCause(e)}; ${SERVER_HINT}`), {
      cause: e,
    });
  }
  if (e instanceof APIError && typeof e.status === "number") {
    if (e.status === 401 || e.status === 403) {
      return new ServerCheckError(
        `server rejected the API key (set $OPENAI_API_KEY or --api-key-env): ${url}/models answered HTTP ${e.status}`,
        { cause: e },
      );
    }
    const body = e.error as { message?: unknown } | undefined;
    const message = typeof body?.message === "string" ? body.message : e.message;
    return new ServerCheckError(redact(`${url}/models failed: HTTP ${e.status}: ${message.slice(0, 300)}`), {
      cause: e,
      hint: "the server answered with an error: check its log",
    });
  }
  if (e instanceof SyntaxError) {
    return new ServerCheckError(
      `${url}/models sent a reply that is not JSON: is this an OpenAI-compatible server?`,
      {
        cause: e,
        hint: "the base URL usually ends in /v1 (e.g. http://localhost:8000/v1)",
      },
    );
  }
  return new ServerCheckError(redact(`cannot check ${url}: ${describeNetworkCause(e)}`), { cause: e });
}

/** GET /models said 404: a base URL without /v1 is an error; with /v1, a warning (see the top). */
function noModelsRoute(url: string): ServerCheckResult {
  let pathname = "";
  try {
    pathname = new URL(url).pathname.replace(/\/+$/, "");
  } catch {
    // an unparsable URL could not have been reached at all
  }
  if (!/\/v\d+[a-z0-9]*$/i.test(pathname)) {
    throw new ServerCheckError(`${url}/models: HTTP 404: the base URL seems to lack /v1`, {
      hint: `OpenAI-compatible servers serve under /v1: try --base-url ${url}/v1`,
    });
  }
  return {
    models: [],
    warning: `${url}/models answered 404, so the served models cannot be checked; going on (the first request will tell)`,
  };
}
