/**
 * The HTTP connection pool behind the openai client.
 *
 * openai v6 calls the global `fetch`, i.e. Node's bundled undici. Its default dispatcher opens as many
 * keep-alive connections per host as there are concurrent requests (no cap, so `--max-requests 64`
 * really means 64 requests on the wire), but it kills any request whose response headers take more
 * than 300 s (`headersTimeout`) or whose body stalls 300 s (`bodyTimeout`). A non-streamed chat
 * completion sends its headers only once generation is done, so a long generation behind a queue on a
 * busy server would be cut at 5 minutes whatever `--timeout` says (openai-node issue #2153).
 *
 * So each LLM stack gets its own undici Agent whose transport timeouts sit just above our own
 * per-attempt deadline, which then is the one that counts. Node does not export undici's Agent class,
 * but the global dispatcher is an instance of it: we construct a sibling from its constructor, which
 * matches the bundled fetch exactly (a dispatcher from the npm `undici` package would not be
 * guaranteed to). If that ever fails on some Node version we fall back to the default dispatcher and
 * the 300 s transport limit, which only matters for timeouts above 5 minutes.
 */

import type { Dispatcher } from "undici-types";

const GLOBAL_DISPATCHER = Symbol.for("undici.globalDispatcher.1");

/** An undici dispatcher, typed by the undici-types that @types/node's fetch types use. */
export type HttpDispatcher = Dispatcher;

type AgentConstructor = new (options: Record<string, unknown>) => HttpDispatcher;

/** Slack above our own deadline, so that ours always fires first and gives the clear message. */
const TRANSPORT_SLACK_MS = 5_000;

async function findAgentConstructor(): Promise<AgentConstructor | undefined> {
  const g = globalThis as Record<symbol, unknown>;
  if (g[GLOBAL_DISPATCHER] === undefined) {
    // Node creates its global dispatcher on the first fetch; a data: URL makes one without any I/O.
    try {
      await (await fetch("data:,")).arrayBuffer();
    } catch {
      return undefined;
    }
  }
  const dispatcher = g[GLOBAL_DISPATCHER] as { constructor?: unknown } | undefined;
  const ctor = dispatcher?.constructor;
  if (typeof ctor !== "function" || ctor === Object) return undefined;
  return ctor as AgentConstructor;
}

/**
 * An undici Agent for fetch's `dispatcher` option, with transport timeouts of
 * `timeoutMs` + a few seconds (so our deadline decides) and unlimited connections per host.
 * `headersTimeoutMs`/`bodyTimeoutMs` override that (tests use short ones to prove the agent is used).
 * undefined when the agent class cannot be found (then fetch's default dispatcher is used).
 */
export async function createHttpDispatcher(options: {
  timeoutMs: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}): Promise<HttpDispatcher | undefined> {
  const Agent = await findAgentConstructor();
  if (!Agent) return undefined;
  const transport = options.timeoutMs + TRANSPORT_SLACK_MS;
  try {
    return new Agent({
      headersTimeout: options.headersTimeoutMs ?? transport,
      bodyTimeout: options.bodyTimeoutMs ?? transport,
      // null = no cap on connections per origin: concurrency is the limiter's job, not the pool's.
      connections: null,
      // vLLM's uvicorn closes idle keep-alive connections after 5 s; closing ours first (4 s) avoids
      // sending a request on a socket the server is closing (a spurious "other side closed").
      keepAliveTimeout: 4_000,
    });
  } catch {
    return undefined;
  }
}
