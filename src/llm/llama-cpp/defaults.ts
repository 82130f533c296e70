/**
 * The in-process engine's defaults, chosen from measurements on a 2-core machine (README,
 * "The in-process engine"; `npm run bench:engine` prints the numbers behind them).
 *
 * Threads. llama.cpp's CPU threads wait for each other at a barrier after every operation of the
 * model's graph, spinning rather than sleeping. With more threads than free cores, one of them is
 * always off the CPU while the others spin waiting for it, and each barrier costs a scheduler time
 * slice: node-llama-cpp's CPU default (at least 4 threads) took 200 s for 24 tokens of a 0.5B-shaped
 * model on 2 cores, against 0.9 s with 1 thread. The Node thread that runs the search (tokenizing,
 * sampling, the run's bookkeeping) needs a core too, so the default leaves it one: one thread per
 * core for math, less one, and at least one.
 */
import { tableDefaults } from "../../util/option-table.js";
import { LLAMA_CPP_SETTINGS } from "../llm-settings.js";

const ROWS = tableDefaults(LLAMA_CPP_SETTINGS) as { parallel: number; contextSize: number };

/** Sequences decoding at once in one context (the engine's batch; configs/defaults.yaml, `llamaCpp`). */
export const DEFAULT_PARALLEL = ROWS.parallel;

/** Tokens per sequence (configs/defaults.yaml, `llamaCpp`). */
export const DEFAULT_CONTEXT_SIZE = ROWS.contextSize;

/**
 * Sampling from the 40 most likely tokens (llama.cpp's and Ollama's default) before top-p: with
 * top-p 0.8-0.95 the nucleus almost always lies inside them, and sorting a 152k-token vocabulary
 * for top-p alone cost 9 ms per token on this machine (3.5x the whole token of a tiny model).
 */
export const DEFAULT_TOP_K = 40;

/** Threads for llama.cpp: the math cores, but never all the logical cores (see above); at least 1. */
export function defaultThreads(cores: { mathCores: number; logicalCores: number }): number {
  return Math.max(1, Math.min(cores.mathCores, cores.logicalCores - 1));
}
