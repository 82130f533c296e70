/**
 * What the problems in progress have done so far, for the progress line: each one's LLM calls
 * answered (replayed ones included), and the calls of those that finished. Before the first problem
 * finishes this is all the progress there is to show (a search at real latencies takes minutes).
 */
import type { Llm } from "../llm/types.js";

/** One problem in progress. */
export interface ProblemWork {
  /** Its model, counting each answered call. */
  count(llm: Llm): Llm;
  /** It ended: finished (a sample, a plan, a failure) or dropped (the run stopped). */
  end(outcome: "finished" | "dropped"): void;
}

export class WorkInProgress {
  private readonly running = new Set<{ calls: number }>();
  /** Problems that finished or failed in this invocation, and their calls. */
  finishedProblems = 0;
  finishedCalls = 0;

  start(): ProblemWork {
    const entry = { calls: 0 };
    this.running.add(entry);
    return {
      count: (llm) => ({
        async complete(request, signal) {
          const reply = await llm.complete(request, signal);
          entry.calls++;
          return reply;
        },
      }),
      end: (outcome) => {
        if (!this.running.delete(entry)) return;
        if (outcome === "finished") {
          this.finishedProblems++;
          this.finishedCalls += entry.calls;
        }
      },
    };
  }

  /** The answered calls of each problem in progress. */
  runningCalls(): number[] {
    return Array.from(this.running, (e) => e.calls);
  }
}
