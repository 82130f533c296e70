/**
 * A bounded work pool over an async source: `concurrency` workers each pull the next item when they
 * are free, so the source is never read ahead of the work (a 100,000-problem file never turns into
 * 100,000 pending promises) and at most `concurrency` items are held in memory.
 */

export interface PoolOptions {
  concurrency: number;
  /** Stop pulling new items; items already started run to their end (their own signal aborts them). */
  signal?: AbortSignal;
}

/**
 * Run `worker` on every item of `source`. Resolves when the source is drained (or the signal fired)
 * and every started worker settled. A worker that throws stops the pool; the first error is rethrown
 * after the running workers settle (workers record their own per-item failures; a throw here is a
 * run-level fault such as a disk write error).
 */
export async function runPool<T>(
  source: AsyncIterable<T>,
  options: PoolOptions,
  worker: (item: T) => Promise<void>,
): Promise<void> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const iterator = source[Symbol.asyncIterator]();
  let exhausted = false;
  let firstError: { error: unknown } | undefined;
  // Serialise next(): a plain AsyncIterable need not support concurrent next() calls.
  let chain: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<IteratorResult<T>> => {
    const p = chain.then(() => iterator.next());
    chain = p.catch(() => undefined);
    return p;
  };
  const stopped = (): boolean => exhausted || firstError !== undefined || options.signal?.aborted === true;

  const loop = async (): Promise<void> => {
    while (!stopped()) {
      let next: IteratorResult<T>;
      try {
        next = await pull();
      } catch (e) {
        if (!firstError) firstError = { error: e };
        return;
      }
      if (next.done) {
        exhausted = true;
        return;
      }
      if (firstError !== undefined || options.signal?.aborted) return;
      try {
        await worker(next.value);
      } catch (e) {
        if (!firstError) firstError = { error: e };
        return;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, loop));
  } finally {
    // Close the source (e.g. a file reader) when we stopped early.
    if (!exhausted) await iterator.return?.(undefined).catch(() => undefined);
  }
  if (firstError) throw firstError.error;
}
