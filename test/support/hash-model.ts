/**
 * A scripted model whose every reply is a function of the request alone (purpose, prompt and request
 * seed), never of the order or the timing of the calls: the same request always gets the same reply.
 * That makes it the model for comparing searches whose calls run concurrently (several iterations in
 * flight) with searches that make the same calls one after another.
 *
 * It is messy on purpose, so a search meets every path of its code: repeated and empty steps
 * (regenerations, dropped slots), code in steps, "Step n:" prefixes, labelled, fractional, bare and
 * unparsable scores, empty reflections, and `<end>` in several spellings once a plan is long enough
 * (each problem needs 2-5 steps, decided by its question).
 */

import type { CompletionRequest, CompletionResult, Llm } from "../../src/llm/types.js";
import { fnv } from "./plan-script.js";
import { promptSections, type ScriptedCall, scriptedLlm, stepsIn } from "./scripted-llm.js";

const IDEAS = [
  "Sort the values",
  "Index every value in a hash map",
  "Keep two pointers at the ends",
  "Define dp[i] over prefixes",
  "Push candidates on a min-heap",
  "Slide a window over the input",
  "Binary search on the answer",
  "Walk the graph breadth first",
  "Count each character",
  "Track the running best",
  "Merge the overlapping ranges",
  "Stack the pending elements",
];
const THOUGHTS = ["Pick a data structure.", "Handle the edge cases.", "Assemble the answer.", ""];

/** A [0, 1) value from a text (the same text, the same value). */
function unit(text: string): number {
  return fnv(text) / 4294967296;
}

export interface HashModelOptions {
  /**
   * How many turns of the event loop (setImmediate, not a timer) a reply waits before it is given,
   * from the request's key: another function reorders which concurrent calls finish first, without
   * a real sleep.
   */
  ticks?: (key: string) => number;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const keyOf = (request: CompletionRequest): string =>
  `${request.purpose}|${request.seed}|${request.messages.map((m) => m.content).join("\n")}`;

export function hashModel(options: HashModelOptions = {}): Llm & { calls: ScriptedCall[] } {
  const key = (purpose: string, user: string, seed: number | undefined) => `${purpose}|${seed}|${user}`;
  const inner = scriptedLlm((call) => {
    const k = key(call.purpose, call.user, call.request.seed);
    const r = (salt: string) => unit(`${salt}|${k}`);
    const s = promptSections(call.user);
    const question = s.Problem ?? "";
    switch (call.purpose) {
      case "reflect": {
        const steps = stepsIn(s["Plan so far"]);
        const needed = 2 + (fnv(question) % 4);
        if (steps.length >= needed && r("end") < 0.75) {
          return ["<end>", "**<end>**", "The plan is complete. <end>"][Math.floor(r("form") * 3)] as string;
        }
        return THOUGHTS[Math.floor(r("thought") * THOUGHTS.length)] as string;
      }
      case "propose": {
        const siblings = (
          s["Candidate next steps already proposed (yours must differ from all of them)"] ?? ""
        )
          .split("\n")
          .filter((l) => l.startsWith("- "))
          .map((l) => l.slice(2));
        const roll = r("kind");
        if (roll < 0.12 && siblings.length > 0) return siblings[0] as string; // a repeat
        if (roll < 0.17) return "```python\nx = 1\n```"; // nothing left after cleaning
        const idea = IDEAS[Math.floor(r("idea") * IDEAS.length)] as string;
        const step = `${idea} (${Math.floor(r("n") * 1000)}).`;
        return roll < 0.3 ? `Step 9: ${step}` : step;
      }
      case "evaluate": {
        const score = 2 + Math.floor(r("score") * 8);
        const form = r("form");
        if (form < 0.06) return "Looks fine to me.";
        if (form < 0.16) return `${score} out of 10`;
        if (form < 0.24) return `${score}`;
        return `Score: ${score}`;
      }
      default:
        return "ok";
    }
  });
  const ticks = options.ticks;
  return {
    calls: inner.calls,
    async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
      if (ticks) for (let i = ticks(keyOf(request)); i > 0; i--) await nextTurn();
      return inner.complete(request, signal);
    },
  };
}
