/**
 * One "abort" listener per signal, however many callers wait on it.
 *
 * Every LLM request of a run listens on the run's one AbortSignal (the limiter's queued waiters, the
 * requests in flight): hundreds at once. Node's EventTarget keeps listeners in a list and scans it on
 * every add and remove (to drop duplicates), so each request paid O(listeners) twice: measurable at
 * hundreds of requests a second (scripts/bench-generate.ts). Here each signal gets one real listener
 * that calls a Set of callbacks: O(1) to add and remove.
 */

const callbacks = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Call `fn` once when `signal` aborts (not at all if it already has: check `signal.aborted` first).
 * Returns the function that removes it; call it when the wait is over.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = callbacks.get(signal);
  if (!set) {
    const fresh = new Set<() => void>();
    set = fresh;
    callbacks.set(signal, fresh);
    signal.addEventListener(
      "abort",
      () => {
        callbacks.delete(signal);
        for (const f of fresh) f();
        fresh.clear();
      },
      { once: true },
    );
  }
  const own = set;
  const once = (): void => {
    own.delete(once);
    fn();
  };
  own.add(once);
  return () => {
    own.delete(once);
  };
}
