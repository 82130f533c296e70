/**
 * One OpenAI-compatible endpoint (vLLM, SGLang, llama.cpp, Ollama, OpenAI) through the real `openai`
 * client, over our own HTTP transport (dispatch-fetch.ts). It turns a CompletionRequest into a chat
 * completion body, a reply into a CompletionResult, and every failure into an LlmError that says
 * whether trying again can help. It never retries by itself: retries live in retry.ts, above the
 * limiter and the endpoint pool.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { LlmError } from "../errors.js";
import type { Logger } from "../util/logger.js";
import { VERSION } from "../version.js";
import { createDispatchFetch, globalFetchWithCallerSignal, type TransportInit } from "./dispatch-fetch.js";
import { foldSystemIntoUser } from "./fold-system.js";
import { createHttpDispatcher, type HttpDispatcher } from "./http-dispatcher.js";
import { parseRetryAfter } from "./retry.js";
import type { ChatMessage, CompletionRequest, CompletionResult, Llm } from "./types.js";

/**
 * How a CompletionRequest's guidedRegex reaches the server:
 * - "vllm": as `structured_outputs: {regex}` (vLLM >= 0.10.2) and the legacy `guided_regex` (older
 *   vLLM; removed in 0.12, where it is ignored with a warning; when both are present vLLM uses
 *   structured_outputs), so one setting works across vLLM versions. SGLang reads `regex` differently
 *   and ignores these.
 * - "openai": not sent. OpenAI's API has no regex constraint (only JSON schema), so the reply is
 *   parsed leniently like any other.
 * - "off": not sent.
 */
export type GuidedMode = "off" | "vllm" | "openai";

export interface OpenAiLlmOptions {
  /** e.g. http://localhost:8000/v1 */
  baseUrl: string;
  /** Sent as a bearer token; an empty key sends "EMPTY" (what a vLLM without --api-key expects). */
  apiKey: string;
  /** The served model name. */
  model: string;
  /** False folds system messages into the first user turn (Gemma's template has no system role). */
  systemRole: boolean;
  /** The deadline of one attempt, from sending the request to the last byte of the reply. */
  timeoutMs: number;
  guided?: GuidedMode;
  /** Extra JSON body fields for the server (e.g. `{ top_k: 20 }`); they cannot override what sra sets. */
  extraBody?: Record<string, unknown>;
  logger?: Logger;
  /**
   * The HTTP connection pool (see http-dispatcher.ts). Stacks share one; when absent each Llm makes
   * its own on first use and closes it in close().
   */
  dispatcher?: Promise<HttpDispatcher | undefined>;
}

export interface OpenAiLlm extends Llm {
  readonly endpoint: string;
  /**
   * Whether the server answers at all: `GET /models`, within `timeoutMs`. Resolves when it does
   * (any HTTP answer, even an error status, means the server is up); rejects when it cannot be reached.
   */
  ping(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Closes (at once) the connection pool this Llm made itself; a shared one is its owner's to close. */
  close(): Promise<void>;
}

/** Rough tokens for text when a server sends no usage: about 4 characters a token for English and code. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The chat completion body for a request, without the model's per-server extras. Pure. */
export function buildChatBody(
  request: CompletionRequest,
  options: Pick<OpenAiLlmOptions, "model" | "systemRole" | "guided" | "extraBody">,
): Record<string, unknown> {
  const messages: ChatMessage[] = options.systemRole
    ? request.messages.map((m) => ({ ...m }))
    : foldSystemIntoUser(request.messages);
  const body: Record<string, unknown> = { ...(options.extraBody ?? {}), model: options.model, messages };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  // max_tokens, not max_completion_tokens: every OpenAI-compatible server reads it (llama.cpp, older
  // vLLM and Ollama do not all read the newer name).
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.stop !== undefined && request.stop.length > 0) {
    // OpenAI accepts at most 4 stop sequences; vLLM and the others take any number.
    body.stop = options.guided === "openai" ? request.stop.slice(0, 4) : [...request.stop];
  }
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.guidedRegex !== undefined && options.guided === "vllm") {
    body.structured_outputs = { regex: request.guidedRegex };
    body.guided_regex = request.guidedRegex;
  }
  return body;
}

/** The text with every occurrence of the secret replaced, so no message or log can carry the key. */
export function redactSecret(text: string, secret: string): string {
  if (secret.length < 4) return text;
  return text.split(secret).join("[redacted]");
}

function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** The innermost useful description of a network failure (ECONNREFUSED, "other side closed", ...). */
export function describeNetworkCause(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 5; depth++) {
    if (cur instanceof Error) {
      const code = (cur as { code?: unknown }).code;
      const text =
        typeof code === "string" && !cur.message.includes(code) ? `${code}: ${cur.message}` : cur.message;
      if (text && !parts.includes(text)) parts.push(text);
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  // The generic outer messages ("Connection error.", "fetch failed") say less than the inner ones.
  const specific = parts.filter((p) => !/^(Connection error\.|fetch failed|Request timed out\.)$/.test(p));
  return (specific.length > 0 ? specific : parts).join(": ") || "unknown network error";
}

function hintForStatus(status: number, message: string, options: OpenAiLlmOptions): string | undefined {
  if (status === 401 || status === 403) {
    return "check the API key: set $OPENAI_API_KEY, or name another variable with --api-key-env";
  }
  if (status >= 300 && status < 400) {
    return "the server answered with a redirect, which is not followed: put the final URL in --base-url (it usually ends in /v1)";
  }
  if (status === 404) {
    return `check the model name ("${options.model}" must be what the server serves: \`sra models --base-url URL\` lists it; pass it with --served-model) and the base URL (it usually ends in /v1)`;
  }
  if (status === 400 || status === 413 || status === 422) {
    if (options.systemRole && /system/i.test(message)) {
      return "this model's chat template seems to reject a system role: use a preset with systemRole false (e.g. gemma-2-2b)";
    }
    return "the server rejected the request: check the prompt fits the model's context length, and any extra body fields";
  }
  if (status === 429) return "the server is rate limiting: lower --max-requests";
  if (status === 501) {
    return "the server does not implement this request (not retried): check that --base-url is an OpenAI-compatible /v1 endpoint that serves chat completions";
  }
  return undefined;
}

interface ErrorContext {
  options: OpenAiLlmOptions;
  endpoint: string;
  timedOut: boolean;
  now: number;
}

/** Any failure of one attempt as an LlmError (status, retryable or not, Retry-After, endpoint). */
export function toLlmError(e: unknown, ctx: ErrorContext): LlmError {
  const { endpoint, options } = ctx;
  const key = options.apiKey;
  if (e instanceof LlmError) return e;
  const timeoutError = (): LlmError =>
    new LlmError(`${endpoint}: no complete reply within ${options.timeoutMs} ms (timed out)`, {
      isRetryable: true,
      endpoint,
      fault: "timeout",
      cause: e,
      hint: "the server may be overloaded: lower --max-requests, or allow a longer request timeout",
    });
  if (ctx.timedOut || e instanceof APIConnectionTimeoutError) return timeoutError();
  if (e instanceof APIUserAbortError) {
    // Only our deadline or the caller's signal abort a request; the caller's case never reaches here.
    return timeoutError();
  }
  if (e instanceof APIConnectionError) {
    return new LlmError(redactSecret(`${endpoint}: connection failed: ${describeNetworkCause(e)}`, key), {
      isRetryable: true,
      endpoint,
      fault: "network",
      cause: e,
    });
  }
  if (e instanceof APIError && typeof e.status === "number") {
    const status = e.status;
    const body = e.error as { message?: unknown } | undefined;
    const serverMessage =
      typeof body?.message === "string" ? body.message : e.message.replace(/^\d{3}\s*/, "");
    const message = redactSecret(truncate(serverMessage), key);
    // A server may say outright whether to retry (OpenAI's x-should-retry); otherwise the status decides.
    const shouldRetry = e.headers?.get("x-should-retry");
    const retryable = shouldRetry === "true" ? true : shouldRetry === "false" ? false : undefined;
    return new LlmError(`${endpoint}: HTTP ${status}: ${message || "(no message)"}`, {
      status,
      ...(retryable === undefined ? {} : { isRetryable: retryable }),
      retryAfterMs: parseRetryAfter(e.headers, ctx.now),
      endpoint,
      cause: e,
      hint: hintForStatus(status, message, options),
    });
  }
  if (e instanceof SyntaxError) {
    return new LlmError(
      redactSecret(`${endpoint}: the reply is not valid JSON (${truncate(e.message, 120)})`, key),
      { isRetryable: true, endpoint, fault: "bad-reply", cause: e },
    );
  }
  if (e instanceof Error) {
    // Failures while reading the body after the headers came (socket reset mid-reply: undici's
    // "terminated"; an aborted stream) are network faults too.
    const networkish =
      e.name === "AbortError" ||
      e.name === "TimeoutError" ||
      /terminated|socket|ECONN|EPIPE|UND_ERR/i.test(`${e.message} ${describeNetworkCause(e)}`);
    return new LlmError(redactSecret(`${endpoint}: ${describeNetworkCause(e)}`, key), {
      isRetryable: networkish,
      endpoint,
      ...(networkish ? { fault: "network" as const } : {}),
      cause: e,
    });
  }
  return new LlmError(redactSecret(`${endpoint}: ${String(e)}`, key), {
    isRetryable: false,
    endpoint,
  });
}

/** A chat completion reply as a CompletionResult; a reply without choices is a retryable LlmError. */
export function toCompletionResult(
  reply: unknown,
  request: { messages: readonly ChatMessage[] },
  endpoint: string,
): CompletionResult {
  const completion = reply as
    | {
        choices?: { message?: { content?: unknown } | null; finish_reason?: unknown }[];
        usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
      }
    | null
    | undefined;
  const choice =
    completion !== null && typeof completion === "object" && Array.isArray(completion.choices)
      ? completion.choices[0]
      : undefined;
  if (!choice) {
    const what =
      typeof reply === "string"
        ? `a non-JSON reply: ${JSON.stringify(truncate(reply, 120))}`
        : "a reply with no choices";
    throw new LlmError(`${endpoint}: the server sent ${what}`, {
      isRetryable: true,
      endpoint,
      fault: "bad-reply",
    });
  }
  const content = choice.message?.content;
  const text = typeof content === "string" ? content : "";
  const finishReason = typeof choice.finish_reason === "string" ? choice.finish_reason : null;
  const usage = completion?.usage;
  const prompt = usage?.prompt_tokens;
  const completionTokens = usage?.completion_tokens;
  if (typeof prompt === "number" && typeof completionTokens === "number") {
    return { text, finishReason, promptTokens: prompt, completionTokens };
  }
  // No usage (some llama.cpp and proxy builds): estimate, and say so.
  return {
    text,
    finishReason,
    promptTokens: estimateTokens(request.messages.map((m) => m.content).join("\n")),
    completionTokens: estimateTokens(text),
    usageEstimated: true,
  };
}

const USER_AGENT = `sra/${VERSION}`;

/** The openai client's `fetchOptions` carrying the caller's signal to our transport (TransportInit). */
function callerSignalInit(signal: AbortSignal): OpenAI.RequestOptions["fetchOptions"] {
  const init: Pick<TransportInit, "callerSignal"> = { callerSignal: signal };
  return init as OpenAI.RequestOptions["fetchOptions"];
}

/** One OpenAI-compatible endpoint as an Llm. */
export function createOpenAiLlm(options: OpenAiLlmOptions): OpenAiLlm {
  const endpoint = options.baseUrl.replace(/\/+$/, "");
  const ownDispatcher = options.dispatcher === undefined;
  let dispatcher: Promise<HttpDispatcher | undefined> | undefined = options.dispatcher;
  const getDispatcher = (): Promise<HttpDispatcher | undefined> => {
    dispatcher ??= createHttpDispatcher({ timeoutMs: options.timeoutMs });
    return dispatcher;
  };
  // The openai client sends every chat completion; only its transport is ours. Node's global fetch
  // copies each request body through a web stream (to be able to resend it after a redirect) and reads
  // the reply through web streams: at hundreds of requests a second that cost more CPU than the
  // search itself (scripts/bench-generate.ts). dispatch-fetch.ts does the same exchange over our
  // undici dispatcher with buffered bodies; the client's request building, errors and headers are
  // unchanged.
  let dispatchFetch: typeof fetch | undefined;
  const transport = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (!dispatchFetch) {
      const agent = await getDispatcher();
      dispatchFetch = agent ? createDispatchFetch(agent) : globalFetchWithCallerSignal;
    }
    return dispatchFetch(input, init);
  };
  const client = new OpenAI({
    baseURL: endpoint,
    // OpenAI's client insists on a key; servers started without one accept any.
    apiKey: options.apiKey === "" ? "EMPTY" : options.apiKey,
    // Deliberately 0: the client's own retries would hide failures from our retry policy, sleep
    // while holding a limiter slot, always go back to the same endpoint, and multiply with ours
    // (3 × 6 attempts). One policy, in one place: withRetry in retry.ts.
    maxRetries: 0,
    timeout: options.timeoutMs,
    fetch: transport,
    defaultHeaders: { "user-agent": USER_AGENT },
  });
  const logger = options.logger;

  return {
    endpoint,
    async close() {
      if (ownDispatcher && dispatcher) await (await dispatcher)?.destroy();
    },
    async ping(timeoutMs: number, signal?: AbortSignal) {
      try {
        await client.models.list({ timeout: timeoutMs, ...(signal ? { signal } : {}) });
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        // An HTTP status is an answer: the server is up (a proxy's 502/504 says its upstream is not).
        if (e instanceof APIError && typeof e.status === "number" && e.status !== 502 && e.status !== 504)
          return;
        throw toLlmError(e, { options, endpoint, timedOut: false, now: Date.now() });
      }
    },
    async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
      signal?.throwIfAborted();
      const body = buildChatBody(request, options);
      const started = Date.now();
      try {
        // The deadline of the attempt is the client's `timeout` (its own timer and AbortController,
        // from sending the request to the last byte of the reply, which our transport reads whole
        // before answering); it ends as APIConnectionTimeoutError. The caller's signal (the run's
        // one signal, shared by every request) does not go to the client, which would add a listener
        // per request and never remove it: it rides along to our transport, which listens through
        // the shared onAbort (abort-listeners.ts).
        const reply: unknown = await client.chat.completions.create(
          body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming,
          {
            headers: { "x-sra-purpose": request.purpose },
            timeout: options.timeoutMs,
            ...(signal ? { fetchOptions: callerSignalInit(signal) } : {}),
          },
        );
        const result = toCompletionResult(reply, request, endpoint);
        logger?.debug(
          {
            endpoint,
            purpose: request.purpose,
            ms: Date.now() - started,
            promptTokens: result.promptTokens,
            completionTokens: result.completionTokens,
            finishReason: result.finishReason,
          },
          "llm call",
        );
        return result;
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        const error = toLlmError(e, { options, endpoint, timedOut: false, now: Date.now() });
        logger?.debug(
          {
            endpoint,
            purpose: request.purpose,
            ms: Date.now() - started,
            status: error.status,
            retryable: error.isRetryable,
            err: error.message,
          },
          "llm call failed",
        );
        throw error;
      }
    },
  };
}
