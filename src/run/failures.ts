/**
 * A problem that did not become a sample, as a failures.jsonl record: a short machine-readable kind
 * (`llm-500`, `timeout`, `no-code`, ...), the error, the attempts and a hint saying what to do. Pure.
 */
import { describeError, LlmError, ParseError, SraError } from "../errors.js";
import type { Failure, Stage } from "../types.js";

/** A short machine-readable kind for a failure. */
export function failureKind(e: unknown): string {
  if (e instanceof ParseError) return e.kind;
  if (e instanceof LlmError) {
    // The adapter says what went wrong; a malformed reply is not a network fault (the user would look
    // at the wrong thing), so it gets its own kind.
    if (e.fault === "timeout" || e.fault === "network" || e.fault === "bad-reply") return e.fault;
    // The in-process engine: a request it cannot serve as it is, or llama.cpp failing to decode.
    if (e.fault === "request") return "llm-request";
    if (e.fault === "engine") return "engine";
    if (e.status === undefined) return /timed? ?out|timeout/i.test(e.message) ? "timeout" : "network";
    if (e.status === 400 || e.status === 413) return "llm-request";
    return `llm-${e.status}`;
  }
  if (e instanceof SraError) return e.name.replace(/Error$/, "").toLowerCase() || "error";
  return "internal";
}

/**
 * What to do about a failed problem, for its failure record: the error's own hint when it has one,
 * else advice by kind. Every failure can be redone with --retry-failures once its cause is fixed.
 */
export function failureHint(kind: string, e: unknown): string {
  if (e instanceof SraError && e.hint) return e.hint;
  if (kind === "timeout") return "the server did not answer in time: lower --max-requests or raise --timeout";
  if (kind === "network") return "the connection to the server failed: check that it is up and reachable";
  if (kind === "bad-reply") {
    return "the reply was not a chat completion: check that --base-url is an OpenAI-compatible /v1 endpoint, and the server's log";
  }
  if (kind === "llm-429") {
    return 'the server kept rate limiting: lower --max-requests, or allow more retries ("server": {"retry": {"maxAttempts": N}} in --config)';
  }
  if (/^llm-5\d\d$/.test(kind)) return "the server failed: check its log (out of memory? restarting?)";
  if (kind === "llm-request") {
    return "the model could not serve this request as it is (see error): fix the cause, then rerun with --retry-failures";
  }
  if (kind === "engine") {
    return "llama.cpp failed in this process: see generate.log; with a GPU try --gpu off, else lower --parallel or --context-size";
  }
  if (kind === "no-code") {
    return /cut off/.test(describeError(e))
      ? "the code was cut off: raise --max-tokens"
      : "the model answered without a ```python block: check the implement prompt (--prompts-dir) and the model";
  }
  if (kind === "compile-error") {
    return "the model's code never compiled (the reasons are in the error): check the implement prompt (--prompts-dir) and the model; sra stats shows the compile rate";
  }
  if (kind === "no-plan") {
    return "the model proposed no usable step: check the propose prompt (--prompts-dir) and the model's chat template";
  }
  return "see generate.log for details";
}

/** The failures.jsonl record of problem `id`, failed at `stage` with `e`. */
export function failureRecord(id: string, stage: Stage, e: unknown): Failure {
  const failure: Failure = {
    id,
    stage,
    kind: failureKind(e),
    error: describeError(e).slice(0, 2000),
    ...(typeof (e as { attempts?: unknown }).attempts === "number"
      ? { attempts: (e as { attempts: number }).attempts }
      : {}),
  };
  failure.hint = failureHint(failure.kind, e);
  return failure;
}
