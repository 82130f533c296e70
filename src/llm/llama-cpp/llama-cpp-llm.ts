/**
 * The in-process engine: an Llm on llama.cpp through node-llama-cpp, with no server.
 *
 * One model and one context with `parallel` sequences. Each complete() takes a free sequence from
 * the queue (slot-pool.ts) or waits for one, so concurrent requests decode together: node-llama-cpp
 * puts the next token of every busy sequence into one batch. Among free sequences a request takes
 * the one whose cached tokens share the longest prefix with its prompt, and llama.cpp evaluates only
 * the rest (an SRA-MCTS problem's prompts repeat most of each other).
 *
 * The chat template is the GGUF's own (node-llama-cpp's chat wrapper resolution); system messages
 * are folded into the first user turn for models without a system role, exactly as on the server
 * path. A request's `guidedRegex` becomes a GBNF grammar, so a constrained reply always matches it.
 * Token counts come from the model's own tokenizer: the prompt as the template renders it, and the
 * tokens generated. A prompt longer than the context is refused (LlmError "request"); a reply that
 * would overflow it stops at the context's end with finish reason "length", never by silently
 * dropping the start of the prompt.
 */
import { stat } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type {
  ChatHistoryItem,
  LlamaChat,
  LlamaContext,
  LlamaGrammar,
  LlamaModel,
  Token,
} from "node-llama-cpp";
import { describeError, EngineError, LlmError } from "../../errors.js";
import type { Logger } from "../../util/logger.js";
import { onAbort } from "../abort-listeners.js";
import { foldSystemIntoUser } from "../fold-system.js";
import type { ChatMessage, CompletionRequest, CompletionResult, Llm, LlmPurpose } from "../types.js";
import { DEFAULT_CONTEXT_SIZE, DEFAULT_PARALLEL, DEFAULT_TOP_K, defaultThreads } from "./defaults.js";
import { importEngine, type Llama, loadLlama, type NodeLlamaCppModule } from "./load-engine.js";
import { RegexToGbnfError, regexToGbnf } from "./regex-to-gbnf.js";
import { SlotPool } from "./slot-pool.js";

export interface LlamaCppLlmOptions {
  /** The GGUF file (see model-file.ts for presets and downloads). */
  modelPath: string;
  /** False folds system messages into the first user turn (Gemma's template has no system role). */
  systemRole: boolean;
  /** Sequences decoding at once (default DEFAULT_PARALLEL). */
  parallel?: number;
  /** CPU threads for llama.cpp (default: defaultThreads() of this machine). */
  threads?: number;
  /** Tokens per sequence (default DEFAULT_CONTEXT_SIZE, at most what the model was trained on). */
  contextSize?: number;
  /** "auto" (default) uses CUDA, Metal or Vulkan when its prebuilt binary loads; false: the CPU. */
  gpu?: "auto" | false;
  /** Top-k before top-p (default DEFAULT_TOP_K; 0: the whole vocabulary). */
  topK?: number;
  /** Deadline of one request, from complete() to its last token (default: none). */
  timeoutMs?: number;
  logger?: Logger;
  /** Called once per finished request (answered or failed) with its timings, e.g. for tests and logs. */
  onRequest?: (event: RequestEvent) => void;
  /** node-llama-cpp itself (default: importEngine(), which explains how to install a missing one). */
  engine?: NodeLlamaCppModule;
  /** Aborts loading the model. */
  signal?: AbortSignal;
}

/** One request, as the engine saw it. Times are performance.now() milliseconds. */
export interface RequestEvent {
  purpose: LlmPurpose;
  /** Which sequence served it (0-based); -1 when it failed before getting one. */
  sequence: number;
  queuedAt: number;
  /** When it got its sequence. */
  startedAt: number;
  /** When its first token came (undefined if none did). */
  firstTokenAt: number | undefined;
  endedAt: number;
  promptTokens: number;
  /** Prompt tokens the sequence already held from an earlier request, not evaluated again. */
  reusedPromptTokens: number;
  completionTokens: number;
  finishReason: string | null;
  grammar: boolean;
  error?: string;
}

export interface LlamaCppDescription {
  engine: "llama-cpp";
  modelPath: string;
  modelBytes: number;
  /** general.name from the GGUF, else the file name. */
  modelName: string;
  /** The chat wrapper node-llama-cpp chose for the GGUF's template (e.g. "ChatML", "Gemma"). */
  chatWrapper: string;
  /** "cuda", "metal", "vulkan", or false for the CPU. */
  gpu: string | false;
  threads: number;
  parallel: number;
  contextSize: number;
  trainContextSize: number;
}

export interface LlamaCppStats {
  requests: number;
  failures: number;
  /** Sequences decoding now / the most at once / requests waiting for one. */
  active: number;
  maxActive: number;
  queued: number;
  promptTokens: number;
  reusedPromptTokens: number;
  completionTokens: number;
  /** Requests whose reply was constrained by a grammar (their guidedRegex). */
  grammarConstrained: number;
}

export interface LlamaCppEngine {
  llm: Llm;
  describe(): LlamaCppDescription;
  stats(): LlamaCppStats;
  /** Stops the requests in flight and frees the model, the context and llama.cpp. */
  close(): Promise<void>;
}

interface Slot {
  index: number;
  chat: LlamaChat;
}

/** Thrown from node-llama-cpp's context-shift hook: a reply must never push the prompt out. */
class ContextFullError extends Error {}

function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m): ChatHistoryItem => {
    if (m.role === "system") return { type: "system", text: m.content };
    if (m.role === "user") return { type: "user", text: m.content };
    return { type: "model", response: [m.content] };
  });
  history.push({ type: "model", response: [] });
  return history;
}

function sharedPrefix(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

const FINISH: Record<string, string> = { maxTokens: "length" };

function requestError(message: string, cause?: unknown, hint?: string): LlmError {
  return new LlmError(message, {
    fault: "request",
    isRetryable: false,
    ...(cause === undefined ? {} : { cause }),
    ...(hint ? { hint } : {}),
  });
}

async function loadModel(llama: Llama, modelPath: string, signal?: AbortSignal): Promise<LlamaModel> {
  try {
    return await llama.loadModel({ modelPath, ...(signal ? { loadSignal: signal } : {}) });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw new EngineError(`cannot load the model ${modelPath}: ${describeError(e)}`, {
      cause: e,
      hint: "check that the file is a complete GGUF model (a broken download: delete it and run again)",
    });
  }
}

async function createContext(
  model: LlamaModel,
  o: { contextSize: number; parallel: number; threads: number },
  signal?: AbortSignal,
): Promise<LlamaContext> {
  try {
    return await model.createContext({
      contextSize: o.contextSize,
      sequences: o.parallel,
      threads: o.threads,
      failedCreationRemedy: false,
      ...(signal ? { createSignal: signal } : {}),
    });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw new EngineError(
      `cannot create a context of ${o.parallel} sequences x ${o.contextSize} tokens: ${describeError(e)}`,
      { cause: e, hint: "lower --parallel or the context size" },
    );
  }
}

/** Load the engine: node-llama-cpp, llama.cpp's binary, the model, one context of `parallel` sequences. */
export async function createLlamaCppLlm(options: LlamaCppLlmOptions): Promise<LlamaCppEngine> {
  const engine = options.engine ?? (await importEngine());
  const parallel = Math.max(1, Math.floor(options.parallel ?? DEFAULT_PARALLEL));
  const modelBytes = await stat(options.modelPath).then(
    (s) => s.size,
    (e) => {
      throw new EngineError(`cannot read the model file ${options.modelPath}: ${describeError(e)}`, {
        cause: e,
      });
    },
  );
  const llama = await loadLlama(engine, {
    gpu: options.gpu ?? "auto",
    threads: options.threads ?? 0,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  try {
    const threads =
      options.threads ??
      defaultThreads({ mathCores: llama.cpuMathCores, logicalCores: os.availableParallelism() });
    llama.maxThreads = threads;
    const model = await loadModel(llama, options.modelPath, options.signal);
    const contextSize = Math.min(options.contextSize ?? DEFAULT_CONTEXT_SIZE, model.trainContextSize);
    const context = await createContext(model, { contextSize, parallel, threads }, options.signal);
    const slots: Slot[] = Array.from({ length: parallel }, (_, index) => ({
      index,
      chat: new engine.LlamaChat({ contextSequence: context.getSequence() }),
    }));
    const name = model.fileInfo.metadata?.general?.name;
    const description: LlamaCppDescription = {
      engine: "llama-cpp",
      modelPath: path.resolve(options.modelPath),
      modelBytes,
      modelName: typeof name === "string" && name !== "" ? name : path.basename(options.modelPath),
      chatWrapper: (slots[0] as Slot).chat.chatWrapper.wrapperName,
      gpu: llama.gpu,
      threads,
      parallel,
      contextSize: context.contextSize,
      trainContextSize: model.trainContextSize,
    };
    return buildEngine({ options, llama, model, context, slots, description });
  } catch (e) {
    await llama.dispose().catch(() => undefined);
    throw e;
  }
}

interface EngineParts {
  options: LlamaCppLlmOptions;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  slots: Slot[];
  description: LlamaCppDescription;
}

function buildEngine(parts: EngineParts): LlamaCppEngine {
  const engine = new Engine(parts);
  return {
    llm: { complete: (request, signal) => engine.complete(request, signal) },
    describe: () => ({ ...parts.description }),
    stats: () => engine.stats(),
    close: () => engine.close(),
  };
}

/** What one request carries from its preparation to its generation. */
interface Job {
  history: ChatHistoryItem[];
  prompt: Token[];
  grammar: LlamaGrammar | undefined;
  signal: AbortSignal;
}

const now = (): number => performance.now();

function newEvent(request: CompletionRequest): RequestEvent {
  return {
    purpose: request.purpose,
    sequence: -1,
    queuedAt: now(),
    startedAt: Number.NaN,
    firstTokenAt: undefined,
    endedAt: Number.NaN,
    promptTokens: 0,
    reusedPromptTokens: 0,
    completionTokens: 0,
    finishReason: null,
    grammar: request.guidedRegex !== undefined,
  };
}

/** The loaded engine: the queue of sequences, the grammars, the totals, and close(). */
class Engine {
  private readonly pool: SlotPool<Slot>;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private readonly closing = new AbortController();
  private readonly totals = {
    requests: 0,
    failures: 0,
    promptTokens: 0,
    reused: 0,
    completion: 0,
    grammar: 0,
  };
  private readonly contextSize: number;

  constructor(private readonly parts: EngineParts) {
    this.pool = new SlotPool(parts.slots);
    this.contextSize = parts.description.contextSize;
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    signal?.throwIfAborted();
    if (this.closing.signal.aborted) throw this.failure(new Error("closed"), request, false);
    this.totals.requests++;
    const event = newEvent(request);
    // One signal stops this request: the caller's, the deadline's or close()'s. The run's signal is
    // shared by every request, so it is listened to through onAbort (one listener per signal).
    const stop = new AbortController();
    const unhook = [this.closing.signal, ...(signal ? [signal] : [])].map((s) =>
      onAbort(s, () => stop.abort(s.reason)),
    );
    let timedOut = false;
    const timeoutMs = this.parts.options.timeoutMs;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            stop.abort(new Error("timed out"));
          }, timeoutMs);
    let slot: Slot | undefined;
    try {
      const job = await this.prepare(request, stop.signal, event);
      slot = await this.pool.acquire(stop.signal, (s) =>
        sharedPrefix(s.chat.sequence.contextTokens, job.prompt),
      );
      event.sequence = slot.index;
      event.startedAt = now();
      const result = await this.generate(slot, request, job, event);
      this.count(result, event, job.grammar !== undefined);
      return result;
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      this.totals.failures++;
      const error = this.failure(e, request, timedOut);
      event.error = describeError(error);
      throw error;
    } finally {
      for (const f of unhook) f();
      clearTimeout(timer);
      if (slot) this.pool.release(slot);
      this.finish(event);
    }
  }

  /** The chat history, its prompt tokens (refused if they do not fit) and the grammar, if any. */
  private async prepare(request: CompletionRequest, signal: AbortSignal, event: RequestEvent): Promise<Job> {
    const messages = this.parts.options.systemRole ? request.messages : foldSystemIntoUser(request.messages);
    const history = toChatHistory(messages);
    const wrapper = (this.parts.slots[0] as Slot).chat.chatWrapper;
    const prompt = wrapper
      .generateContextState({ chatHistory: history })
      .contextText.tokenize(this.parts.model.tokenizer);
    event.promptTokens = prompt.length;
    if (prompt.length >= this.contextSize) {
      throw requestError(
        `llama.cpp: the ${request.purpose} prompt is ${prompt.length} tokens, longer than the context of ${this.contextSize} tokens`,
        undefined,
        "raise the context size (each of the --parallel sequences gets this many tokens), or shorten the prompt",
      );
    }
    const grammar =
      request.guidedRegex === undefined ? undefined : await this.grammarFor(request.guidedRegex);
    return { history, prompt, grammar, signal };
  }

  private grammarFor(regex: string): Promise<LlamaGrammar> {
    let g = this.grammars.get(regex);
    if (!g) {
      g = Promise.resolve()
        .then(() => this.parts.llama.createGrammar({ grammar: regexToGbnf(regex) }))
        .catch((e: unknown) => {
          this.grammars.delete(regex);
          const what =
            e instanceof RegexToGbnfError
              ? e.message
              : `guided regex ${JSON.stringify(regex)}: ${describeError(e)}`;
          throw requestError(`${what} (cannot constrain the reply to it)`, e);
        });
      this.grammars.set(regex, g);
    }
    return g;
  }

  private async generate(
    slot: Slot,
    request: CompletionRequest,
    job: Job,
    event: RequestEvent,
  ): Promise<CompletionResult> {
    const sequence = slot.chat.sequence;
    event.reusedPromptTokens = sharedPrefix(sequence.contextTokens, job.prompt);
    const before = sequence.tokenMeter.getState().usedOutputTokens;
    // Room for the reply: the rest of the context, less one token (llama.cpp needs the slot).
    const room = this.contextSize - job.prompt.length - 1;
    const reply = await slot.chat.generateResponse(job.history, {
      maxTokens: Math.max(1, Math.min(request.maxTokens ?? room, room)),
      temperature: request.temperature ?? 1,
      topP: request.topP ?? 1,
      topK: this.parts.options.topK ?? DEFAULT_TOP_K,
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(request.stop && request.stop.length > 0 ? { customStopTriggers: request.stop } : {}),
      ...(job.grammar ? { grammar: job.grammar } : {}),
      // Servers apply no repetition penalty unless asked; code must repeat indentation and brackets.
      repeatPenalty: false,
      signal: job.signal,
      contextShift: {
        strategy: () => {
          throw new ContextFullError("the context is full");
        },
      },
      onToken: () => {
        event.firstTokenAt ??= now();
      },
    });
    return {
      text: reply.response,
      finishReason: FINISH[reply.metadata.stopReason] ?? "stop",
      promptTokens: job.prompt.length,
      completionTokens: sequence.tokenMeter.getState().usedOutputTokens - before,
    };
  }

  private count(result: CompletionResult, event: RequestEvent, grammar: boolean): void {
    this.totals.promptTokens += result.promptTokens;
    this.totals.reused += event.reusedPromptTokens;
    this.totals.completion += result.completionTokens;
    if (grammar) this.totals.grammar++;
    event.completionTokens = result.completionTokens;
    event.finishReason = result.finishReason;
  }

  private finish(event: RequestEvent): void {
    event.endedAt = now();
    if (Number.isNaN(event.startedAt)) event.startedAt = event.endedAt;
    this.parts.options.logger?.debug(
      { engine: "llama-cpp", ...event },
      event.error ? "llm call failed" : "llm call",
    );
    this.parts.options.onRequest?.(event);
  }

  /** Any failure of a request as an LlmError that says what it was. */
  private failure(e: unknown, request: CompletionRequest, timedOut: boolean): LlmError {
    if (e instanceof LlmError) return e;
    if (timedOut) {
      return new LlmError(
        `llama.cpp: no complete reply within ${this.parts.options.timeoutMs} ms (timed out)`,
        {
          fault: "timeout",
          isRetryable: true,
          cause: e,
          hint: "the engine is slower than the deadline: lower --parallel, use a smaller model, or allow a longer --timeout",
        },
      );
    }
    if (e instanceof ContextFullError || (e instanceof Error && e.cause instanceof ContextFullError)) {
      return requestError(
        `llama.cpp: the ${request.purpose} reply filled the context of ${this.contextSize} tokens`,
        e,
      );
    }
    const closed = this.closing.signal.aborted;
    return new LlmError(
      closed ? "llama.cpp: the engine was closed" : `llama.cpp failed to decode: ${describeError(e)}`,
      { fault: "engine", isRetryable: false, cause: e },
    );
  }

  stats(): LlamaCppStats {
    return {
      requests: this.totals.requests,
      failures: this.totals.failures,
      active: this.pool.busy,
      maxActive: this.pool.maxBusy,
      queued: this.pool.queued,
      promptTokens: this.totals.promptTokens,
      reusedPromptTokens: this.totals.reused,
      completionTokens: this.totals.completion,
      grammarConstrained: this.totals.grammar,
    };
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort(new Error("the engine is closing"));
    await this.parts.llama.dispose();
  }
}
