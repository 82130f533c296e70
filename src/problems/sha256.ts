/**
 * sha256 of a string's UTF-8 bytes, as 64 hex digits. `crypto.hash` (Node >= 20.12) is one native
 * call; `createHash` builds a stream object per digest, several microseconds each, which shows when
 * every problem of a file is hashed at start-up. Older Node 20 releases get the same digest the slow way.
 */
import * as crypto from "node:crypto";

const oneShot = typeof crypto.hash === "function" ? crypto.hash : undefined;

export function sha256Hex(text: string): string {
  return oneShot !== undefined
    ? oneShot("sha256", text, "hex")
    : crypto.createHash("sha256").update(text, "utf8").digest("hex");
}
