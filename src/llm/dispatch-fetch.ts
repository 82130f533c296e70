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
import type { HttpDispatcher } from "./http-dispatcher.js";

type FetchInput = string | URL | Request;

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
    readonly headers: Headers,
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

/** fetch(input, init) over `dispatcher` (falls back to the global fetch for bodies it does not send). */
export function createDispatchFetch(dispatcher: HttpDispatcher): typeof fetch {
  return ((input: FetchInput, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    if (
      input instanceof Request ||
      !(body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array)
    ) {
      return fetch(input, { ...init, dispatcher } as RequestInit);
    }
    const url = typeof input === "string" ? new URL(input) : input;
    const signal = init.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      let abortRequest: ((reason: unknown) => void) | undefined;
      let settled = false;
      const onAbort = (): void => {
        const reason = abortReason(signal as AbortSignal);
        if (abortRequest) abortRequest(reason);
        settle(reason);
      };
      const settle = (error: unknown, response?: Response): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        if (response) resolve(response);
        else reject(error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      let status = 0;
      let statusText = "";
      let headers = new Headers();
      const chunks: Buffer[] = [];
      dispatcher.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: (init.method ?? "GET").toUpperCase() as "GET",
          headers: flattenHeaders(init.headers),
          body: body ?? null,
        },
        {
          onConnect(abort: (reason?: Error) => void) {
            abortRequest = abort as (reason: unknown) => void;
            if (signal?.aborted) abort(abortReason(signal) as Error);
          },
          onHeaders(code: number, raw: Buffer[] | string[] | null, _resume: () => void, text?: string) {
            if (code < 200) return true; // 1xx: the final status follows
            status = code;
            statusText = text ?? "";
            headers = new Headers();
            const list = raw ?? [];
            for (let i = 0; i + 1 < list.length; i += 2) {
              // Header bytes are latin1 (RFC 9110), as fetch reads them.
              headers.append(latin1(list[i]), latin1(list[i + 1]));
            }
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
                url.href,
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
