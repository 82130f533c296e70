/**
 * The one interface the pure core sees of a language model. The OpenAI-compatible client, the
 * endpoint pool and the tests' scripted models all implement it.
 */

export type ChatRole = "system" | "user" | "assistant";

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/**
 * What a role in the search is asking for ("codegen": a benchmark task's sample in `sra eval`); used
 * for accounting, logs and the fake server's scripts.
 */
export type LlmPurpose =
  | "propose"
  | "reflect"
  | "evaluate"
  | "implement"
  | "cot"
  | "critique"
  | "revise"
  | "check"
  | "codegen";

export interface CompletionRequest {
  purpose: LlmPurpose;
  messages: ChatMessage[];
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  /**
   * Ask the server to constrain the reply to this regular expression (vLLM structured outputs /
   * guided_regex). Servers without support ignore it; the parser never relies on it.
   */
  guidedRegex?: string;
}

export interface CompletionResult {
  text: string;
  /** "stop", "length", ... or null when the server did not say. */
  finishReason: string | null;
  promptTokens: number;
  completionTokens: number;
  /** True when the server sent no usage and the token counts are estimates (about 4 characters a token). */
  usageEstimated?: boolean;
}

export interface Llm {
  complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult>;
}
