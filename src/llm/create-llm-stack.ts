/**
 * The LLM stack every command that calls a model uses: withRetry(limit(base)), where the base is the
 * model the requests finally reach (openBaseLlm): the pool of OpenAI-compatible endpoints, or the
 * in-process llama.cpp engine. Commands open it through src/llm/open-llm.ts (check first).
 *
 * - Each attempt (not each logical call) takes a limiter slot and picks an endpoint afresh, so a retry
 *   after a reset may go to the healthy server, and no slot is held while a retry sleeps.
 * - The limiter's cap starts at --max-requests and, when `adaptive`, halves on 429/503 or a latency
 *   blow-up and creeps back up by one per few healthy completions.
 * - All endpoints share one HTTP connection pool with no per-host connection cap (see
 *   http-dispatcher.ts), so the limiter alone decides how many requests are on the wire.
 * - Every retry is logged at warn with status, endpoint, attempt and delay; never the key.
 * - In process, the limiter is the request queue in front of the engine's sequences: its cap is
 *   --parallel and never moves (its latency rule would read a CPU's batching as overload), and
 *   there are no endpoints, no outages and no server check.
 */

import type { LlmError } from "../errors.js";
import type { Logger } from "../util/logger.js";
import { AdaptiveLimiter } from "./adaptive-limiter.js";
import { EndpointPool, type EndpointStats, isUnreachableError } from "./endpoint-pool.js";
import { createHttpDispatcher } from "./http-dispatcher.js";
import type { LlamaCppDescription, LlamaCppStats } from "./llama-cpp/llama-cpp-llm.js";
import type { ModelOrigin } from "./llama-cpp/model-file.js";
import { type InProcessOptions, openInProcessEngine } from "./llama-cpp/open-engine.js";
import type { EngineName } from "./llm-settings.js";
import { createOpenAiLlm, type GuidedMode } from "./openai-llm.js";
import { type RetryPolicy, withRetry } from "./retry.js";
import type { CompletionRequest, CompletionResult, Llm } from "./types.js";

export interface LlmStackOptions {
  /** What serves the requests (default "openai": the servers of `endpoints`). */
  engine?: EngineName;
  /** The in-process engine's model and settings (engine "llama-cpp"). */
  inProcess?: InProcessOptions;
  /** Base URLs (each ending in /v1) of servers that serve the same model (engine "openai"). */
  endpoints: string[];
  apiKey: string;
  /** The served model name. */
  model: string;
  systemRole: boolean;
  /** Deadline of one attempt. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** Most requests in flight at once, over all endpoints (the limiter's initial and max cap). */
  maxRequests: number;
  /** Let the cap fall on overload and recover (AIMD); false keeps it at maxRequests. */
  adaptive: boolean;
  guided: GuidedMode;
  extraBody?: Record<string, unknown>;
  logger?: Logger;
  now?: () => number;
  /**
   * How long requests wait for a service whose every endpoint is down (a restart) before failures count
   * against their retries again (default 10 min; 0: never wait).
   */
  maxOutageMs?: number;
  /** Endpoint back-off settings (defaults in endpoint-pool.ts). */
  pool?: { failureThreshold?: number; backoffMs?: number; maxBackoffMs?: number };
  /** Limiter tuning (defaults in adaptive-limiter.ts). */
  limiter?: { min?: number; increaseEvery?: number; decreaseFactor?: number; latencyFactor?: number };
  /** For tests: jitter source and sleep of the retry policy. */
  rand?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface LlmStackStats {
  /** Logical calls (one per complete()). */
  calls: number;
  /** HTTP attempts (calls + retries). */
  attempts: number;
  retries: number;
  /** Logical calls that failed in the end (after retries, or at once for non-retryable errors). */
  failures: number;
  promptTokens: number;
  completionTokens: number;
  /** Calls whose token counts are estimates (the server sent no usage). */
  estimatedUsageCalls: number;
  inFlight: number;
  queued: number;
  /** The limiter's current cap. */
  cap: number;
  /** The most requests ever in flight at once. */
  maxInFlight: number;
  capDecreases: number;
  capIncreases: number;
  /** Every endpoint is down right now, and requests are waiting for one to come back. */
  waitingForServer: boolean;
  /** Times every endpoint was down at once, and how long those outages lasted (ended ones), ms. */
  outages: number;
  outageMs: number;
  endpoints: EndpointStats[];
  /** In process: the engine's own counters (sequences busy, prompt tokens reused, grammars). */
  engine?: LlamaCppStats;
}

/** What a stack's requests reach: the servers, or the engine in this process and its model file. */
export type LlmStackDescription =
  | { engine: "openai"; endpoints: string[] }
  | (LlamaCppDescription & { origin: ModelOrigin; uri?: string });

export interface LlmStack {
  llm: Llm;
  stats(): LlmStackStats;
  /** What the requests reach (for the start-up banner and summary.json). */
  describe(): LlmStackDescription;
  /** Closes the HTTP connection pool at once (idle keep-alive sockets and any call still in flight). */
  close(): Promise<void>;
}

/**
 * The model the stack's requests finally reach, one attempt per call: what the limiter and the retries
 * wrap. `outage` is how the retries learn that the whole service is down (a restart) and wait for it;
 * `fixedCap`, set in process, is the request cap that never moves.
 */
interface BaseLlm {
  llm: Llm;
  outage?: Pick<EndpointPool, "down" | "waitWhileDown" | "downLongerThan">;
  fixedCap?: number;
  stats(): Pick<LlmStackStats, "outages" | "outageMs" | "endpoints" | "engine">;
  describe(): LlmStackDescription;
  close(): Promise<void>;
}

/**
 * The one place the base model is chosen: the in-process engine (engine "llama-cpp"), or the
 * OpenAI-compatible servers of `o.endpoints`.
 */
async function openBaseLlm(o: LlmStackOptions, now: () => number, maxOutageMs: number): Promise<BaseLlm> {
  if (o.engine === "llama-cpp") return openEngineBase(o);
  return openServersBase(o, now, maxOutageMs);
}

/** The in-process engine: one model, `parallel` sequences, the limiter's cap fixed at that. */
async function openEngineBase(o: LlmStackOptions): Promise<BaseLlm> {
  if (!o.inProcess) throw new Error("createLlmStack: engine llama-cpp needs inProcess options");
  const { engine, file } = await openInProcessEngine(o.inProcess, {
    systemRole: o.systemRole,
    timeoutMs: o.timeoutMs,
    logger: o.logger,
  });
  const description = { ...engine.describe(), origin: file.origin, ...(file.uri ? { uri: file.uri } : {}) };
  return {
    llm: engine.llm,
    fixedCap: description.parallel,
    stats: () => ({ outages: 0, outageMs: 0, endpoints: [], engine: engine.stats() }),
    describe: () => ({ ...description }),
    close: () => engine.close(),
  };
}

/**
 * The OpenAI-compatible servers of `o.endpoints` behind one endpoint pool (least outstanding
 * requests, back-off of failing servers, outage detection), over one HTTP connection pool.
 */
function openServersBase(o: LlmStackOptions, now: () => number, maxOutageMs: number): BaseLlm {
  if (o.endpoints.length === 0) throw new Error("createLlmStack needs at least one endpoint");
  const logger = o.logger;
  const dispatcher = createHttpDispatcher({ timeoutMs: o.timeoutMs });
  const endpoints = o.endpoints.map((url) => {
    const llm = createOpenAiLlm({
      baseUrl: url,
      apiKey: o.apiKey,
      model: o.model,
      systemRole: o.systemRole,
      timeoutMs: o.timeoutMs,
      guided: o.guided,
      extraBody: o.extraBody,
      logger,
      dispatcher,
    });
    // An outage's recheck: a GET /models, within the attempt deadline but never more than 10 s.
    return {
      url: llm.endpoint,
      llm,
      ping: (signal?: AbortSignal) => llm.ping(Math.min(o.timeoutMs, 10_000), signal),
    };
  });
  const pool = new EndpointPool(endpoints, {
    now,
    ...o.pool,
    ...(o.sleep ? { sleep: o.sleep } : {}),
    onOutage: (event) => {
      if (event.state === "start") {
        logger?.warn(
          { endpoints: o.endpoints.length, maxOutageSec: maxOutageMs / 1000 },
          "llm: every endpoint is down; requests wait for one to come back",
        );
      } else {
        logger?.warn({ downSec: Math.round(event.downMs / 100) / 10 }, "llm: the server is back");
      }
    },
    onHealthChange: (event) => {
      if (event.state === "backed-off") {
        logger?.warn(
          {
            endpoint: event.url,
            consecutiveFailures: event.consecutiveFailures,
            backoffMs: event.backoffMs,
          },
          "llm: endpoint keeps failing, leaving it out for a while",
        );
      } else {
        logger?.info({ endpoint: event.url }, "llm: endpoint answers again");
      }
    },
  });
  return {
    llm: pool,
    outage: pool,
    stats: () => ({ outages: pool.outages, outageMs: pool.outageMs, endpoints: pool.stats() }),
    describe: () => ({ engine: "openai", endpoints: [...o.endpoints] }),
    close: async () => {
      await (await dispatcher)?.destroy();
    },
  };
}

/** Open the stack: the base model (in process: load it), the limiter, the retries. Close it when done. */
export async function createLlmStack(o: LlmStackOptions): Promise<LlmStack> {
  const now = o.now ?? Date.now;
  const logger = o.logger;
  const base = await openBaseLlm(o, now, Math.max(0, o.maxOutageMs ?? 600_000));
  const outage = base.outage;
  // Nothing to wait for when there is no server to come back.
  const maxOutageMs = outage ? Math.max(0, o.maxOutageMs ?? 600_000) : 0;
  const maxRequests = Math.max(1, Math.floor(base.fixedCap ?? o.maxRequests));
  const adaptive = o.adaptive && base.fixedCap === undefined;
  const limiter = new AdaptiveLimiter({
    initial: maxRequests,
    max: maxRequests,
    ...o.limiter,
    // Not adaptive: the cap cannot move.
    ...(adaptive ? {} : { min: maxRequests }),
    now,
  });
  limiter.onChange = (event) => {
    const fields = { cap: event.cap, reason: event.reason, inFlight: limiter.inFlight };
    if (event.kind === "decrease") logger?.warn(fields, "llm: server overloaded, lowering concurrency");
    else logger?.debug(fields, "llm: raising concurrency");
  };

  let calls = 0;
  let attempts = 0;
  let retries = 0;
  let failures = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  let estimated = 0;

  const limited: Llm = {
    complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
      return limiter.run(
        () => {
          attempts++;
          return base.llm.complete(request, signal);
        },
        signal,
        // Latency is compared per purpose and per token produced (+16 for the time to first token),
        // so a long "implement" reply is not taken for a slow server.
        { key: request.purpose, weight: (r) => r.completionTokens + 16 },
      );
    },
  };
  const retried = withRetry(limited, o.retry, {
    ...(o.rand ? { rand: o.rand } : {}),
    ...(o.sleep ? { sleep: o.sleep } : {}),
    ...(outage && maxOutageMs > 0
      ? {
          beforeAttempt: (signal?: AbortSignal) =>
            outage.down() ? outage.waitWhileDown(maxOutageMs, signal) : undefined,
          // Only "cannot reach the server" failures during an outage are not counted; a 500 about this
          // request counts as always.
          counts: (e: LlmError) =>
            !(isUnreachableError(e) && outage.down() && !outage.downLongerThan(maxOutageMs)),
        }
      : {}),
    onRetry: (info) => {
      retries++;
      logger?.warn(
        {
          purpose: info.purpose,
          status: info.error.status,
          endpoint: info.error.endpoint,
          attempt: info.attempt,
          maxAttempts: info.maxAttempts,
          delayMs: info.delayMs,
          ...(info.error.retryAfterMs !== undefined ? { retryAfterMs: info.error.retryAfterMs } : {}),
          err: info.error.message,
        },
        "llm: retrying",
      );
    },
  });
  const llm: Llm = {
    async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
      calls++;
      try {
        const result = await retried.complete(request, signal);
        promptTokens += result.promptTokens;
        completionTokens += result.completionTokens;
        if (result.usageEstimated) estimated++;
        return result;
      } catch (e) {
        if (!signal?.aborted) failures++;
        throw e;
      }
    },
  };

  return {
    llm,
    stats: () => ({
      calls,
      attempts,
      retries,
      failures,
      promptTokens,
      completionTokens,
      estimatedUsageCalls: estimated,
      inFlight: limiter.inFlight,
      queued: limiter.queued,
      cap: limiter.cap,
      maxInFlight: limiter.maxInFlight,
      capDecreases: limiter.decreases,
      capIncreases: limiter.increases,
      waitingForServer: outage ? outage.down() && !outage.downLongerThan(maxOutageMs) : false,
      ...base.stats(),
    }),
    describe: () => base.describe(),
    close: () => base.close(),
  };
}
