/**
 * `fetch(url, init)` over our undici Agent's `dispatch()`, for the chat completion POSTs.
 *
 * Why: Node's WHATWG fetch cost about 0.8 ms of CPU per chat completion on top of the HTTP work itself
 * (it clones every request body through a tee'd ReadableStream so that it could replay it on a
 * redirect, then reads the reply through web streams). At hundreds of requests a second that was most
 * of sra's CPU time (scripts/bench-generate.ts). Our requests are small JSON bodies with small JSON
 * replies, so this sends the body as one string and answers with a Response over the whole reply,
 * read into one buffer.
 *
 * Kept from fetch: the same Agent (connection pool, transport timeouts), the caller's signal aborts the
 * request with the signal's reason, network failures reject, gzip/deflate/br replies are decoded.
 * Differences: redirects are not followed (a 3xx reaches the caller as an HTTP error, which for a chat
 * completion POST is what it is: a wrong base URL), and bodies other than strings and bytes (and
 * Request objects) go to the global fetch.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { onAbort as listenForAbort } from "./abort-listeners.js";
import type { HttpDispatcher } from "./http-dispatcher.js";

type FetchInput = string | URL | Request;

/**
 * fetch's init, plus the caller's own signal. The openai client passes its request options'
 * `fetchOptions` through to the transport; openai-llm.ts puts the run's signal there, because a signal
 * given to the client itself gets one listener per request that is never removed.
 */
export type TransportInit = RequestInit & { callerSignal?: AbortSignal };

/** The global fetch (used when no undici Agent can be made), honouring `callerSignal` too. */
export const globalFetchWithCallerSignal = ((input: FetchInput, init: TransportInit = {}) => {
  const { callerSignal, ...rest } = init;
  if (!callerSignal) return fetch(input, rest);
  const signal = rest.signal ? AbortSignal.any([rest.signal, callerSignal]) : callerSignal;
  return fetch(input, { ...rest, signal });
}) as typeof fetch;

function flattenHeaders(headers: RequestInit["headers"]): string[] {
  const out: string[] = [];
  if (!headers) return out;
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      out.push(name, value);
    });
  } else if (Array.isArray(headers)) {
    for (const [name, value] of headers) if (name !== undefined && value !== undefined) out.push(name, value);
  } else {
    for (const [name, value] of Object.entries(headers)) if (value != null) out.push(name, String(value));
  }
  return out;
}

function decode(body: Buffer, encoding: string | null): Buffer {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case "":
    case "identity":
      return body;
    case "gzip":
    case "x-gzip":
      return gunzipSync(body);
    case "deflate":
      return inflateSync(body);
    case "br":
      return brotliDecompressSync(body);
    default:
      return body;
  }
}

/**
 * The reply's headers, read-only: what the openai client and our error mapping read of a Response's
 * headers (get, has, entries and iteration), over a Map filled once from the raw header list.
 *
 * Why not a WHATWG Headers: filling one validates and normalises every name and value (webidl
 * conversions, a sorted copy on each iteration), and the openai client walks the reply headers up to
 * three times per call to build debug-log details that are dropped unless its own debug logging is
 * on. At a thousand replies a second that was a visible slice of sra's CPU (scripts/bench-generate.ts).
 * Names are lower-cased; repeated headers are joined with ", " as Headers.get does.
 */
export class ReplyHeaders {
  readonly #map = new Map<string, string>();
  /** From undici's raw list [name, value, name, value, ...] (bytes are latin1, RFC 9110). */
  static fromRaw(raw: readonly (Buffer | string)[] | null): ReplyHeaders {
    const h = new ReplyHeaders();
    const list = raw ?? [];
    for (let i = 0; i + 1 < list.length; i += 2) h.add(latin1(list[i]), latin1(list[i + 1]));
    return h;
  }
  private add(name: string, value: string): void {
    const key = name.toLowerCase();
    const v = value.trim();
    const had = this.#map.get(key);
    this.#map.set(key, had === undefined ? v : `${had}, ${v}`);
  }
  /** Removes a header (the body is handed on decoded, so content-encoding/length no longer apply). */
  delete(name: string): void {
    this.#map.delete(name.toLowerCase());
  }
  get(name: string): string | null {
    return this.#map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }
  entries(): IterableIterator<[string, string]> {
    return this.#map.entries();
  }
  keys(): IterableIterator<string> {
    return this.#map.keys();
  }
  values(): IterableIterator<string> {
    return this.#map.values();
  }
  forEach(fn: (value: string, name: string, parent: ReplyHeaders) => void): void {
    for (const [name, value] of this.#map) fn(value, name, this);
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#map.entries();
  }
}

/**
 * A Response over a reply already read whole. `new Response(bytes)` would wrap the bytes in a web
 * stream only for json() to read them back out of it; openai-llm.ts reads `status`, `ok`, `headers`
 * and then `json()` or `text()` once. `body` is made on demand, for anything that wants a stream.
 */
class BufferedResponse {
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = "basic";
  bodyUsed = false;
  constructor(
    private readonly bytes: Buffer | null,
    readonly status: number,
    readonly statusText: string,
    readonly headers: ReplyHeaders,
    readonly url: string,
  ) {
    this.ok = status >= 200 && status < 300;
  }
  get body(): ReadableStream<Uint8Array> | null {
    return this.bytes === null ? null : new Response(this.bytes).body;
  }
  async text(): Promise<string> {
    this.bodyUsed = true;
    if (this.bytes === null) return "";
    const text = this.bytes.toString("utf8");
    // Like fetch's UTF-8 decode: a byte order mark is not part of the text.
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    const b = this.bytes ?? Buffer.alloc(0);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  async blob(): Promise<Blob> {
    this.bodyUsed = true;
    return new Blob(this.bytes === null ? [] : [this.bytes]);
  }
  clone(): BufferedResponse {
    return new BufferedResponse(this.bytes, this.status, this.statusText, this.headers, this.url);
  }
}

function latin1(v: Buffer | string | undefined): string {
  return typeof v === "string" ? v : (v?.toString("latin1") ?? "");
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** Where a URL string sends a request; cached, since every call of an endpoint has the same URL. */
interface Target {
  origin: string;
  path: string;
  href: string;
}
const MAX_TARGETS = 256;

/** fetch(input, init) over `dispatcher` (falls back to the global fetch for bodies it does not send). */
export function createDispatchFetch(dispatcher: HttpDispatcher): typeof fetch {
  const targets = new Map<string, Target>();
  const targetOf = (input: string | URL): Target => {
    const key = typeof input === "string" ? input : input.href;
    let t = targets.get(key);
    if (!t) {
      const url = typeof input === "string" ? new URL(input) : input;
      t = { origin: url.origin, path: `${url.pathname}${url.search}`, href: url.href };
      if (targets.size >= MAX_TARGETS) targets.clear();
      targets.set(key, t);
    }
    return t;
  };
  return ((input: FetchInput, init: TransportInit = {}): Promise<Response> => {
    const body = init.body;
    if (
      input instanceof Request ||
      !(body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array)
    ) {
      return globalFetchWithCallerSignal(input, { ...init, dispatcher } as RequestInit);
    }
    const target = targetOf(input);
    const signal = init.signal ?? undefined;
    const callerSignal = init.callerSignal;
    return new Promise<Response>((resolve, reject) => {
      const aborted = signal?.aborted ? signal : callerSignal?.aborted ? callerSignal : undefined;
      if (aborted) {
        reject(abortReason(aborted));
        return;
      }
      let abortRequest: ((reason: unknown) => void) | undefined;
      let settled = false;
      let abortedBy: AbortSignal | undefined;
      const abortWith = (by: AbortSignal): void => {
        abortedBy ??= by;
        const reason = abortReason(by);
        if (abortRequest) abortRequest(reason);
        settle(reason);
      };
      const onSignalAbort = (): void => abortWith(signal as AbortSignal);
      // The caller's signal is shared by every request of a run: listened to through one multiplexed
      // listener (abort-listeners.ts), not one EventTarget listener per request.
      const stopCaller = callerSignal
        ? listenForAbort(callerSignal, () => abortWith(callerSignal))
        : undefined;
      const settle = (error: unknown, response?: Response): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onSignalAbort);
        stopCaller?.();
        if (response) resolve(response);
        else reject(error);
      };
      signal?.addEventListener("abort", onSignalAbort, { once: true });
      let status = 0;
      let statusText = "";
      let headers = new ReplyHeaders();
      const chunks: Buffer[] = [];
      dispatcher.dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: (init.method ?? "GET").toUpperCase() as "GET",
          headers: flattenHeaders(init.headers),
          body: body ?? null,
        },
        {
          onConnect(abort: (reason?: Error) => void) {
            abortRequest = abort as (reason: unknown) => void;
            if (abortedBy) abort(abortReason(abortedBy) as Error);
          },
          onHeaders(code: number, raw: Buffer[] | string[] | null, _resume: () => void, text?: string) {
            if (code < 200) return true; // 1xx: the final status follows
            status = code;
            statusText = text ?? "";
            headers = ReplyHeaders.fromRaw(raw);
            return true;
          },
          onData(chunk: Buffer) {
            chunks.push(chunk);
            return true;
          },
          onComplete() {
            try {
              const bytes = decode(Buffer.concat(chunks), headers.get("content-encoding"));
              const nullBody = status === 204 || status === 205 || status === 304;
              headers.delete("content-encoding");
              headers.delete("content-length");
              const response = new BufferedResponse(
                nullBody ? null : bytes,
                status,
                statusText,
                headers,
                target.href,
              );
              settle(undefined, response as unknown as Response);
            } catch (e) {
              settle(e);
            }
          },
          onError(error: Error) {
            settle(error);
          },
        } as unknown as Parameters<HttpDispatcher["dispatch"]>[1],
      );
    });
  }) as typeof fetch;
}
