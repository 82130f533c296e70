/**
 * A fake OpenAI-compatible server on loopback, for tests and benchmarks. It is a real HTTP server,
 * driven through the real `openai` client: scripted replies per purpose (the client's
 * `x-sra-purpose` header), injected faults, a capacity model (S decoding slots, a queue, latency of
 * base + per-token ms), and a record of every call.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface FakeRequestContext {
  /** 0-based index over all chat completion calls. */
  index: number;
  purpose: string;
  body: ChatBody;
  headers: IncomingMessage["headers"];
  /** The last user message's text, for scripts that branch on the prompt. */
  prompt: string;
}

export interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  [key: string]: unknown;
}

/** What the script answers: text, or a fault. */
export type FakeReply =
  | string
  | {
      /** The message content; null sends `"content": null` (as servers do for empty replies). */
      content?: string | null;
      finishReason?: string;
      /** Send an HTTP error status with this JSON error message. */
      status?: number;
      headers?: Record<string, string>;
      /** A raw body sent as is (e.g. malformed JSON) with status 200 unless `status` is set. */
      rawBody?: string;
      /** Extra wait before answering, on top of the capacity model. */
      delayMs?: number;
      /** Never answer (the client's timeout must fire). */
      hang?: boolean;
      /** Destroy the socket without a reply. */
      reset?: boolean;
      promptTokens?: number;
      completionTokens?: number;
      /** Leave `usage` out of the reply (some llama.cpp builds and proxies do). */
      noUsage?: boolean;
      /** Send `"choices": []`. */
      emptyChoices?: boolean;
    };

export type FakeScript = (ctx: FakeRequestContext) => FakeReply | Promise<FakeReply>;

export interface FakeServerOptions {
  script: FakeScript;
  /** Models listed by GET /v1/models; null answers that route with 404 (servers without /models). */
  models?: string[] | null;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /** Decoding slots: requests beyond this wait in a queue. Unlimited when absent. */
  slots?: number;
  /** Latency of one request once it holds a slot: base + perToken * completion tokens. */
  latency?: { baseMs: number; perTokenMs: number };
  /**
   * With `slots`: a request that finds every slot busy and this many already queued is refused at once
   * with 429 (an overloaded server or rate-limiting proxy). Unlimited queue when absent.
   */
  maxQueue?: number;
  /** Retry-After (seconds) sent with those overload 429s; none when absent. */
  overloadRetryAfterS?: number;
  /** Port to listen on (default 0: any free port) and host (default 127.0.0.1): for scripts/fake-server.ts. */
  port?: number;
  host?: string;
}

export interface RecordedCall {
  index: number;
  purpose: string;
  model: string;
  body: ChatBody;
  authorization: string | undefined;
  status: number;
  receivedAt: number;
  startedAt: number;
  finishedAt: number;
  inFlightAtStart: number;
}

export interface FakeServer {
  /** Base URL including /v1, e.g. http://127.0.0.1:43123/v1 */
  url: string;
  calls: RecordedCall[];
  /** The largest number of chat requests in flight at once (received, not yet answered). */
  maxInFlight: () => number;
  /** Busy slot-milliseconds so far (for utilisation). */
  busySlotMs: () => number;
  setScript: (script: FakeScript) => void;
  close: () => Promise<void>;
}

/** A rough token count for fake usage numbers: 1 token per 4 characters. */
export function roughTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeOpenAiServer(options: FakeServerOptions): Promise<FakeServer> {
  let script = options.script;
  const models = options.models === undefined ? ["fake-model"] : options.models;
  const calls: RecordedCall[] = [];
  const sockets = new Set<Socket>();
  let index = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let busySlotMs = 0;
  let slotsInUse = 0;
  const waiting: (() => void)[] = [];
  const hanging = new Set<ServerResponse>();

  /**
   * Waits for a decoding slot. Like vLLM, a request whose client went away while queued leaves the
   * queue without ever taking a slot: resolves false then.
   */
  const acquireSlot = async (gone: Promise<void>): Promise<boolean> => {
    if (options.slots === undefined) return true;
    if (slotsInUse < options.slots) {
      slotsInUse++;
      return true;
    }
    let granted: () => void = () => {};
    const slot = new Promise<void>((resolve) => {
      granted = resolve;
    });
    waiting.push(granted);
    const got = await Promise.race([slot.then(() => true), gone.then(() => false)]);
    if (!got) {
      const i = waiting.indexOf(granted);
      if (i >= 0) waiting.splice(i, 1);
      else releaseSlot(); // granted in the same tick as the client left: hand the slot on
    }
    return got;
  };
  const releaseSlot = (): void => {
    if (options.slots === undefined) return;
    const next = waiting.shift();
    if (next) next();
    else slotsInUse--;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(e) } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      await readBody(req);
      sendJson(res, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error" } });
      return;
    }
    if (req.method === "GET" && url.endsWith("/models")) {
      if (models === null) {
        sendJson(res, 404, { error: { message: `no route ${req.method} ${url}` } });
        return;
      }
      sendJson(res, 200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "fake" })),
      });
      return;
    }
    if (req.method !== "POST" || !url.endsWith("/chat/completions")) {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${url}` } });
      return;
    }
    const receivedAt = Date.now();
    const inFlightAtStart = inFlight;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const raw = await readBody(req);
    const body = JSON.parse(raw) as ChatBody;
    const purposeHeader = req.headers["x-sra-purpose"];
    const purpose = typeof purposeHeader === "string" ? purposeHeader : "unknown";
    const last = [...body.messages].reverse().find((m) => m.role === "user");
    const ctx: FakeRequestContext = {
      index: index++,
      purpose,
      body,
      headers: req.headers,
      prompt: typeof last?.content === "string" ? last.content : "",
    };
    const call: RecordedCall = {
      index: ctx.index,
      purpose,
      model: body.model,
      body,
      authorization: req.headers.authorization,
      status: 0,
      receivedAt,
      startedAt: 0,
      finishedAt: 0,
      inFlightAtStart,
    };
    calls.push(call);
    const finish = (status: number): void => {
      call.status = status;
      call.finishedAt = Date.now();
      inFlight--;
    };
    const reply = await script(ctx);
    const r = typeof reply === "string" ? { content: reply } : reply;
    if (r.reset) {
      finish(0);
      req.socket.destroy();
      return;
    }
    if (r.hang) {
      hanging.add(res);
      res.on("close", () => {
        hanging.delete(res);
        finish(0);
      });
      return;
    }
    if (r.status !== undefined && r.status >= 400 && r.rawBody === undefined) {
      // A server refuses (429, 5xx, 4xx) without decoding: no slot, no token latency, only delayMs.
      call.startedAt = Date.now();
      if (r.delayMs) await new Promise((resolve) => setTimeout(resolve, r.delayMs));
      if (res.destroyed) {
        finish(0);
        return;
      }
      sendJson(
        res,
        r.status,
        { error: { message: `fake error ${r.status}`, type: "server_error" } },
        r.headers,
      );
      finish(r.status);
      return;
    }
    if (
      options.slots !== undefined &&
      options.maxQueue !== undefined &&
      slotsInUse >= options.slots &&
      waiting.length >= options.maxQueue
    ) {
      call.startedAt = Date.now();
      sendJson(
        res,
        429,
        { error: { message: "fake server overloaded: queue full", type: "rate_limit_error" } },
        options.overloadRetryAfterS === undefined
          ? {}
          : { "retry-after": String(options.overloadRetryAfterS) },
      );
      finish(429);
      return;
    }
    // Resolves when the client disconnects before the reply is sent (timeout, abort): like vLLM, the
    // request is then dropped from the queue, or its generation stopped and its slot freed.
    const gone = new Promise<void>((resolve) => {
      res.on("close", () => {
        if (!res.writableFinished) resolve();
      });
    });
    if (!(await acquireSlot(gone))) {
      finish(0);
      return;
    }
    call.startedAt = Date.now();
    const content = r.content === null ? "" : (r.content ?? "");
    const completionTokens = r.completionTokens ?? roughTokens(content);
    const promptTokens =
      r.promptTokens ?? body.messages.reduce((n, m) => n + roughTokens(String(m.content)), 0);
    const wait =
      (r.delayMs ?? 0) +
      (options.latency ? options.latency.baseMs + options.latency.perTokenMs * completionTokens : 0);
    if (wait > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, wait))), gone]);
      clearTimeout(timer);
    }
    busySlotMs += Date.now() - call.startedAt;
    releaseSlot();
    if (res.destroyed) {
      finish(0);
      return;
    }
    if (r.rawBody !== undefined) {
      res.writeHead(r.status ?? 200, { "content-type": "application/json", ...(r.headers ?? {}) });
      res.end(r.rawBody);
      finish(r.status ?? 200);
      return;
    }
    sendJson(
      res,
      200,
      {
        id: `chatcmpl-${ctx.index}`,
        object: "chat.completion",
        created: Math.floor(receivedAt / 1000),
        model: body.model,
        choices: r.emptyChoices
          ? []
          : [
              {
                index: 0,
                message: { role: "assistant", content: r.content === null ? null : content },
                finish_reason: r.finishReason ?? "stop",
              },
            ],
        ...(r.noUsage
          ? {}
          : {
              usage: {
                prompt_tokens: promptTokens,
                completion_tokens: completionTokens,
                total_tokens: promptTokens + completionTokens,
              },
            }),
      },
      r.headers,
    );
    finish(200);
  }

  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.keepAliveTimeout = 60_000;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/v1`,
    calls,
    maxInFlight: () => maxInFlight,
    busySlotMs: () => busySlotMs,
    setScript: (s) => {
      script = s;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
