/**
 * A loopback HTTP server that serves the files of a directory, for the benchmark download tests.
 * `overrides` replaces a path's answer (bytes, or a status code); every request is recorded.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

export interface StaticServer {
  /** Base URL, without a trailing slash. */
  url: string;
  /** Request paths, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startStaticServer(options: {
  root: string;
  overrides?: Record<string, Uint8Array | number>;
}): Promise<StaticServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(urlPath);
    const override = options.overrides?.[urlPath];
    if (typeof override === "number") {
      res.writeHead(override).end();
      return;
    }
    if (override !== undefined) {
      res.writeHead(200, { "content-length": override.length }).end(override);
      return;
    }
    const file = path.join(options.root, path.normalize(urlPath).replace(/^(\.\.[/\\])+/, ""));
    if (!file.startsWith(options.root)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (data) => res.writeHead(200, { "content-length": data.length }).end(data),
      () => res.writeHead(404).end("not found"),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
