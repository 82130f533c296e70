/**
 * The in-process engine on a real llama.cpp: a tiny random-weight llama with the real qwen2
 * tokenizer and its ChatML template (test/support/tiny-gguf.ts). Its replies are random text, so
 * the tests assert what does not depend on the words: token counts from the tokenizer, sequences
 * decoding at the same time, grammar-constrained replies, stop strings, seeds, aborts, the context
 * limit. One engine is loaded for the file (two for the system-role check).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlmError } from "../src/errors.js";
// The search through the public API: its modules are being reshaped, its exports stay.
import { createRng, DEFAULT_SEARCH_PARAMS, loadPromptSet, parseScore, searchPlan } from "../src/index.js";
import {
  createLlamaCppLlm,
  type LlamaCppEngine,
  type LlamaCppLlmOptions,
  type RequestEvent,
} from "../src/llm/llama-cpp/llama-cpp-llm.js";
import type { CompletionRequest } from "../src/llm/types.js";
import { GUIDED_SCORE_REGEX } from "../src/search/params.js";
import { tinyGguf } from "./support/tiny-gguf.js";

const CONTEXT = 1024;
const PARALLEL = 4;

let modelPath: string;
let engine: LlamaCppEngine;
const events: RequestEvent[] = [];

beforeAll(async () => {
  modelPath = await tinyGguf();
  engine = await createLlamaCppLlm({
    modelPath,
    systemRole: true,
    parallel: PARALLEL,
    contextSize: CONTEXT,
    gpu: false,
    onRequest: (e) => events.push(e),
  });
}, 60_000);

afterAll(async () => {
  await engine?.close();
});

function ask(user: string, extra: Partial<CompletionRequest> = {}): CompletionRequest {
  return {
    purpose: "propose",
    messages: [
      { role: "system", content: "You write one step of a plan." },
      { role: "user", content: user },
    ],
    temperature: 0.7,
    topP: 0.95,
    maxTokens: 16,
    seed: 1,
    ...extra,
  };
}

/** A second engine (one sequence), used and then closed. */
async function withSmallEngine(
  extra: Pick<LlamaCppLlmOptions, "systemRole"> & Partial<LlamaCppLlmOptions>,
  use: (e: LlamaCppEngine) => Promise<void>,
): Promise<LlamaCppEngine> {
  const small = await createLlamaCppLlm({ modelPath, parallel: 1, contextSize: 512, gpu: false, ...extra });
  try {
    await use(small);
  } finally {
    await small.close();
  }
  return small;
}

/** Resolves once `check` holds, looking again after each turn of the event loop (no sleeps). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !check(); i++) await new Promise((r) => setImmediate(r));
  if (!check()) throw new Error("condition never held");
}

describe("the in-process engine", () => {
  it("describes itself: the GGUF's name, its chat template, threads and sequences", () => {
    expect(engine.describe()).toMatchObject({
      engine: "llama-cpp",
      modelName: "sra-test-qwen2-2x32",
      chatWrapper: "ChatML",
      gpu: false,
      threads: 1,
      parallel: PARALLEL,
      contextSize: CONTEXT,
      trainContextSize: 4096,
    });
    expect(engine.describe().modelBytes).toBeGreaterThan(1e6);
  });

  it("counts tokens with the model's own tokenizer, not an estimate", async () => {
    const short = await engine.llm.complete(ask("Plan it."));
    // " hello" is one qwen2 token: ten more of them are ten more prompt tokens (60 characters).
    const long = await engine.llm.complete(ask(`Plan it.${" hello".repeat(10)}`));
    expect(long.promptTokens - short.promptTokens).toBe(10);
    expect(short.usageEstimated).toBeUndefined();
    for (const r of [short, long]) {
      expect(r.finishReason === "length" ? r.completionTokens : 16).toBe(16);
      expect(r.completionTokens).toBeGreaterThan(0);
    }
  });

  it("decodes several sequences at once: their decoding overlaps in time", async () => {
    events.length = 0;
    const n = PARALLEL + 2;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        engine.llm.complete(ask(`Problem ${i}: sort a list.`, { maxTokens: 24, seed: i })),
      ),
    );
    expect(replies).toHaveLength(n);
    const decoding = events.filter((e) => e.firstTokenAt !== undefined);
    expect(decoding).toHaveLength(n);
    // The first PARALLEL requests all got a sequence before any of them finished...
    const first = [...decoding].sort((a, b) => a.startedAt - b.startedAt).slice(0, PARALLEL);
    const earliestEnd = Math.min(...first.map((e) => e.endedAt));
    for (const e of first) expect(e.firstTokenAt as number).toBeLessThan(earliestEnd);
    expect(new Set(first.map((e) => e.sequence)).size).toBe(PARALLEL);
    // ...and the rest waited for one to come free.
    expect(engine.stats().maxActive).toBe(PARALLEL);
    const waited = [...decoding].sort((a, b) => a.startedAt - b.startedAt).slice(PARALLEL);
    for (const e of waited) expect(e.startedAt).toBeGreaterThanOrEqual(earliestEnd);
  });

  it("reuses a sequence's cached prompt prefix for a similar prompt", async () => {
    events.length = 0;
    const base = `A long problem statement that two prompts share.${" more".repeat(50)}`;
    await engine.llm.complete(ask(`${base} First.`));
    await engine.llm.complete(ask(`${base} Second.`));
    const [a, b] = events;
    expect(b?.sequence).toBe(a?.sequence);
    expect(b?.reusedPromptTokens).toBeGreaterThan(50);
  });

  it.each([
    ["(10|[0-9])", /^(10|[0-9])$/, "bare"],
    [GUIDED_SCORE_REGEX, /^Score: (10|[0-9])$/, "labelled"],
  ])(
    "constrains a reply to the guided regex %j with a grammar, so it always parses",
    async (regex, shape, form) => {
      const before = engine.stats().grammarConstrained;
      const replies = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          engine.llm.complete({
            ...ask("Grade it."),
            purpose: "evaluate",
            guidedRegex: regex,
            maxTokens: 8,
            seed: i,
          }),
        ),
      );
      for (const r of replies) {
        expect(r.text).toMatch(shape);
        expect(parseScore(r.text)).toMatchObject({ form });
        expect(r.finishReason).toBe("stop");
      }
      expect(engine.stats().grammarConstrained - before).toBe(6);
    },
  );

  it("runs a whole SRA-MCTS search: every score grammar-constrained and counted as guided, as with vLLM's guided decoding", async () => {
    const prompts = await loadPromptSet();
    const { tree, plan } = await searchPlan(
      { id: "p1", question: "Return the sum of a list of integers." },
      {
        llm: engine.llm,
        rng: createRng(3).fork("p1"),
        prompts,
        params: {
          ...DEFAULT_SEARCH_PARAMS,
          iterations: 2,
          stepMaxTokens: 16,
          reflectMaxTokens: 8,
          evalMaxTokens: 4,
          guided: true,
        },
        now: () => performance.now(),
      },
    );
    const scored = tree.nodes.filter((n) => n.parentId !== null);
    expect(scored.length).toBeGreaterThanOrEqual(3);
    for (const n of scored) expect(n.score.parsedAs).toBe("guided");
    expect(tree.counters["score.guided"]).toBe(scored.length);
    expect(tree.counters["score.fallback"] ?? 0).toBe(0);
    expect(plan.usage.calls).toBeGreaterThanOrEqual(scored.length * 2);
    expect(plan.usage.promptTokens).toBeGreaterThan(plan.usage.calls * 100);
  });

  it("a guided regex with no grammar equivalent is a request error, not a crash", async () => {
    const e = await engine.llm.complete({ ...ask("x"), guidedRegex: "(?=a)b" }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(LlmError);
    expect(e).toMatchObject({ fault: "request", isRetryable: false });
    expect((e as Error).message).toContain("lookarounds");
  });

  it("stops at a stop string, which is not part of the text", async () => {
    const greedy = ask("Write something.", { temperature: 0, maxTokens: 24 });
    const free = await engine.llm.complete(greedy);
    const words = free.text.split(/\s+/).filter((w) => w.length >= 3);
    const stop = words[Math.floor(words.length / 2)] as string;
    expect(stop).toBeDefined();
    const stopped = await engine.llm.complete({ ...greedy, stop: [stop] });
    expect(stopped.finishReason).toBe("stop");
    expect(stopped.text).toBe(free.text.slice(0, free.text.indexOf(stop)));
    expect(stopped.completionTokens).toBeLessThan(free.completionTokens);
  });

  it("the same seed gives the same reply; another seed another one", async () => {
    const a = await engine.llm.complete(ask("Same.", { seed: 7, maxTokens: 12 }));
    const b = await engine.llm.complete(ask("Same.", { seed: 7, maxTokens: 12 }));
    const c = await engine.llm.complete(ask("Same.", { seed: 8, maxTokens: 12 }));
    expect(b.text).toBe(a.text);
    expect(c.text).not.toBe(a.text);
  });

  it("refuses a prompt longer than the context with a clear request error", async () => {
    const e = await engine.llm.complete(ask(" hello".repeat(CONTEXT + 10))).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(LlmError);
    expect(e).toMatchObject({ fault: "request", isRetryable: false });
    expect((e as Error).message).toMatch(
      /the propose prompt is \d+ tokens, longer than the context of 1024 tokens/,
    );
    expect((e as LlmError).hint).toContain("--parallel");
  });

  it("a reply that would overflow the context stops at its end ('length'), keeping the whole prompt", async () => {
    const r = await engine.llm.complete(ask(" hello".repeat(CONTEXT - 60), { maxTokens: 500 }));
    expect(r.finishReason).toBe("length");
    expect(r.promptTokens + r.completionTokens).toBeLessThan(CONTEXT);
  });

  it("an abort stops a request in flight and one waiting for a sequence; the sequences are free again", async () => {
    const controller = new AbortController();
    const started = engine.stats().requests;
    const running = Array.from({ length: PARALLEL + 1 }, (_, i) =>
      engine.llm.complete(ask(`Long ${i}`, { maxTokens: 900 }), controller.signal).catch((e: unknown) => e),
    );
    await until(() => engine.stats().active === PARALLEL && engine.stats().queued === 1);
    controller.abort(new Error("user pressed Ctrl-C"));
    const outcomes = await Promise.all(running);
    for (const o of outcomes) expect((o as Error).message).toBe("user pressed Ctrl-C");
    expect(engine.stats()).toMatchObject({ active: 0, queued: 0, requests: started + PARALLEL + 1 });
    const after = await engine.llm.complete(ask("Still there?", { maxTokens: 4 }));
    expect(after.completionTokens).toBeGreaterThan(0);
  });

  it("a request past its deadline fails as a retryable timeout", async () => {
    await withSmallEngine({ systemRole: true, timeoutMs: 1 }, async (quick) => {
      const e = await quick.llm.complete(ask("Slow", { maxTokens: 400 })).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(LlmError);
      expect(e).toMatchObject({ fault: "timeout", isRetryable: true });
    });
  });

  it("folds the system prompt into the user turn for a model without a system role; closed, it refuses requests", async () => {
    const folded = await withSmallEngine({ systemRole: false }, async (folded) => {
      const system = "You write one step of a plan.";
      const viaFold = await folded.llm.complete(ask("Plan it."));
      const byHand = await engine.llm.complete({
        ...ask("Plan it."),
        messages: [{ role: "user", content: `${system}\n\nPlan it.` }],
      });
      expect(viaFold.promptTokens).toBe(byHand.promptTokens);
      expect(viaFold.text).toBe(byHand.text);
    });
    // Closed (twice: the second is a no-op), it fails later requests with an engine error.
    await folded.close();
    await expect(folded.llm.complete(ask("x"))).rejects.toMatchObject({ fault: "engine" });
  });
});
