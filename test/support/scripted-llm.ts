/**
 * An in-process Llm for the pure core's tests: it answers by purpose from a script and records every
 * call. (Tests of the HTTP client use the fake server instead.)
 *
 * A script is either one handler for every call, or per purpose a list of replies (used in order;
 * running out is an error, so a test notices an unexpected call) or a handler. A handler gets the
 * call (purpose, request, system and user text) and returns a reply: a string, an object with text
 * and finish reason / token counts, or `{ error }` to throw.
 */
import type { CompletionRequest, CompletionResult, Llm, LlmPurpose } from "../../src/llm/types.js";

export interface ScriptedCall {
  /** 0-based over all calls, in the order they were made. */
  index: number;
  purpose: LlmPurpose;
  request: CompletionRequest;
  system: string;
  user: string;
}

export type ScriptedReply =
  | string
  | { text: string; finishReason?: string | null; promptTokens?: number; completionTokens?: number }
  | { error: Error };

export type ScriptHandler = (call: ScriptedCall) => ScriptedReply | Promise<ScriptedReply>;

export type Script = ScriptHandler | Partial<Record<LlmPurpose, ScriptedReply[] | ScriptHandler>>;

function words(text: string): number {
  return text.split(/\s+/).filter((w) => w !== "").length;
}

export class ScriptedLlm implements Llm {
  readonly calls: ScriptedCall[] = [];
  private readonly queues = new Map<LlmPurpose, ScriptedReply[]>();

  constructor(
    private readonly script: Script,
    private readonly options: { delayMs?: (call: ScriptedCall) => number } = {},
  ) {
    if (typeof script !== "function") {
      for (const [purpose, entry] of Object.entries(script)) {
        if (Array.isArray(entry)) this.queues.set(purpose as LlmPurpose, [...entry]);
      }
    }
  }

  /** Calls of one purpose, in order. */
  callsFor(purpose: LlmPurpose): ScriptedCall[] {
    return this.calls.filter((c) => c.purpose === purpose);
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    signal?.throwIfAborted();
    const call: ScriptedCall = {
      index: this.calls.length,
      purpose: request.purpose,
      request,
      system: request.messages.find((m) => m.role === "system")?.content ?? "",
      user: request.messages.filter((m) => m.role === "user").at(-1)?.content ?? "",
    };
    this.calls.push(call);
    const delay = this.options.delayMs?.(call) ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const reply = await this.replyFor(call);
    if (typeof reply !== "string" && "error" in reply) throw reply.error;
    const text = typeof reply === "string" ? reply : reply.text;
    const finishReason = typeof reply === "string" ? "stop" : (reply.finishReason ?? "stop");
    return {
      text,
      finishReason,
      promptTokens:
        typeof reply !== "string" && reply.promptTokens !== undefined
          ? reply.promptTokens
          : words(call.system) + words(call.user),
      completionTokens:
        typeof reply !== "string" && reply.completionTokens !== undefined
          ? reply.completionTokens
          : words(text),
    };
  }

  private replyFor(call: ScriptedCall): ScriptedReply | Promise<ScriptedReply> {
    if (typeof this.script === "function") return this.script(call);
    const entry = this.script[call.purpose];
    if (typeof entry === "function") return entry(call);
    const queue = this.queues.get(call.purpose);
    const next = queue?.shift();
    if (next === undefined) {
      throw new Error(`scripted LLM: no reply left for purpose "${call.purpose}" (call ${call.index})`);
    }
    return next;
  }
}

export function scriptedLlm(
  script: Script,
  options?: { delayMs?: (call: ScriptedCall) => number },
): ScriptedLlm {
  return new ScriptedLlm(script, options);
}

/**
 * The labelled blocks of a rendered prompt ("Problem:", "Plan so far:", ...): a block starts with a
 * line ending in ":" after a blank line (or at the start) and runs to the next such line.
 */
export function promptSections(user: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = user.split("\n");
  let key: string | undefined;
  let body: string[] = [];
  const flush = () => {
    if (key !== undefined) out[key] = body.join("\n").trim();
  };
  for (const [i, line] of lines.entries()) {
    const startsBlock =
      (i === 0 || lines[i - 1]?.trim() === "") && /:\s*$/.test(line) && !/^Step \d+:/.test(line);
    if (startsBlock) {
      flush();
      key = line.trim().replace(/:\s*$/, "");
      body = [];
    } else {
      body.push(line);
    }
  }
  flush();
  return out;
}

/** The "Step n: ..." lines of a plan section as plain steps ([] for "(none yet)"). */
export function stepsIn(section: string | undefined): string[] {
  if (!section) return [];
  return section
    .split("\n")
    .map((l) => /^Step \d+: (.*)$/.exec(l)?.[1])
    .filter((s): s is string => s !== undefined);
}
