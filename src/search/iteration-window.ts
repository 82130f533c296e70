/**
 * The iterations of one search that are in flight at once (--parallel-iterations K), oldest first.
 *
 * Results are taken out in the order the iterations were started (`takeOldest`),
 * never in the order they finish: whatever the timing, the search applies the same results in the
 * same order, so it makes the same selections and writes the same tree. What this costs: a result
 * that comes in early waits for every older one, and a slow iteration holds its place in the window
 * (up to K - 1 finished ones behind it wait with it). A batch of K would wait for its slowest member
 * before starting any of the next K; the window starts the next iteration as soon as the oldest is
 * applied.
 *
 * An iteration that ends the search (`isFinal`, a reflection that says <end>) makes every younger one
 * useless: whichever result ends the search, the younger ones are discarded. They are aborted as soon
 * as it is known, and one started after that is never run, so they stop spending server time. They
 * are still selected and counted, so which iterations exist does not depend on the timing either:
 * only how many calls a discarded one made before its abort does. Each iteration gets its own abort
 * signal, linked to the search's.
 */

/** How an iteration ended: its value, or the error it threw (never a rejected promise). */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface Flight<T> {
  /** The selected path, root first (its virtual loss is held until the result is applied). */
  path: number[];
  leafId: number;
  settled: Promise<Settled<T>>;
}

interface OwnFlight<T> extends Flight<T> {
  controller: AbortController | undefined;
  final: boolean;
}

/** The reason a discarded iteration's calls are aborted with (never surfaced: its result is dropped). */
export class DiscardedIterationError extends Error {
  constructor() {
    super("iteration discarded: an earlier one ended the search");
    this.name = "AbortError";
  }
}

export class IterationWindow<T> {
  private readonly flights: OwnFlight<T>[] = [];
  private unlinkParent: (() => void) | undefined;

  /**
   * `ownSignals` false (K = 1) hands every iteration the search's own signal, as the sequential
   * search always did; true gives each its own, so it can be aborted alone.
   */
  constructor(
    private readonly options: { signal?: AbortSignal; ownSignals: boolean; isFinal: (value: T) => boolean },
  ) {}

  get size(): number {
    return this.flights.length;
  }

  /** Start an iteration: `run` it, unless one in flight has already ended the search (see above). */
  start(path: number[], run: (signal: AbortSignal | undefined) => Promise<T>): void {
    if (this.flights.some((f) => f.final)) {
      const discarded: Settled<T> = { ok: false, error: new DiscardedIterationError() };
      this.flights.push({
        path,
        leafId: path.at(-1) as number,
        controller: undefined,
        final: false,
        settled: Promise.resolve(discarded),
      });
      return;
    }
    const controller = this.options.ownSignals ? new AbortController() : undefined;
    if (controller) {
      this.linkParent();
      if (this.options.signal?.aborted) controller.abort(this.options.signal.reason);
    }
    const flight: OwnFlight<T> = {
      path,
      leafId: path.at(-1) as number,
      controller,
      final: false,
      settled: run(controller ? controller.signal : this.options.signal).then(
        (value): Settled<T> => {
          if (this.options.isFinal(value)) this.markFinal(flight);
          return { ok: true, value };
        },
        (error: unknown): Settled<T> => ({ ok: false, error }),
      ),
    };
    this.flights.push(flight);
  }

  /**
   * Wait for the oldest iteration (its result is the next to apply) and take it out of the window;
   * undefined when none is in flight. It stays in the window while it runs, so an abort reaches it.
   */
  async takeOldest(): Promise<(Flight<T> & { result: Settled<T> }) | undefined> {
    const oldest = this.flights[0];
    if (!oldest) return undefined;
    const result = await oldest.settled;
    this.flights.shift();
    return { path: oldest.path, leafId: oldest.leafId, settled: oldest.settled, result };
  }

  /** Abort every iteration still in the window and wait until all have settled. Returns how many. */
  async discardAll(): Promise<number> {
    const rest = this.flights.splice(0);
    for (const f of rest) f.controller?.abort(new DiscardedIterationError());
    await Promise.all(rest.map((f) => f.settled));
    this.unlinkParent?.();
    this.unlinkParent = undefined;
    return rest.length;
  }

  private markFinal(flight: OwnFlight<T>): void {
    flight.final = true;
    const younger = this.flights.slice(this.flights.indexOf(flight) + 1);
    for (const f of younger) f.controller?.abort(new DiscardedIterationError());
  }

  /** One listener on the search's signal per search (not per iteration): it aborts all in flight. */
  private linkParent(): void {
    const parent = this.options.signal;
    if (!parent || this.unlinkParent) return;
    const onAbort = (): void => {
      for (const f of this.flights) f.controller?.abort(parent.reason);
    };
    parent.addEventListener("abort", onAbort, { once: true });
    this.unlinkParent = () => parent.removeEventListener("abort", onAbort);
  }
}
