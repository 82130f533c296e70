/**
 * `--shard i/n`: a deterministic partition of problems by a hash of their id, so n machines can each
 * take one shard of the same file and `sra merge` puts the results back together. Shards are numbered
 * from 1 (`1/4` .. `4/4`), as in Jest and Playwright: "shard 1 of 4".
 */
import { UsageError } from "../errors.js";
import { hash32 } from "../util/rng.js";

export interface Shard {
  /** 1-based: 1..count. */
  index: number;
  count: number;
}

/** Parse `i/n` (1 <= i <= n). Throws a UsageError that says what a valid value looks like. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) {
    throw new UsageError(`--shard must look like i/n, e.g. 1/4 (got "${text}")`, {
      hint: "shards are numbered from 1: --shard 1/4 .. --shard 4/4",
    });
  }
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 1_000_000) {
    throw new UsageError(`--shard: the shard count must be from 1 to 1000000 (got "${text}")`);
  }
  if (index < 1 || index > count) {
    throw new UsageError(`--shard: the shard number must be from 1 to ${count} (got "${text}")`, {
      hint: `shards are numbered from 1: --shard 1/${count} .. --shard ${count}/${count}`,
    });
  }
  return { index, count };
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** The 1-based shard an id belongs to among `count` shards. */
export function shardOf(id: string, count: number): number {
  return (hash32(id) % count) + 1;
}

/** Whether a problem id falls in this shard (always true without sharding). */
export function inShard(id: string, shard: Shard | null | undefined): boolean {
  if (!shard || shard.count === 1) return true;
  return shardOf(id, shard.count) === shard.index;
}
