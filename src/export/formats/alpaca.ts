/**
 * LLaMA-Factory's alpaca format: `instruction` (prompt column) and `input` (query column) are joined
 * with a newline into the user turn, `output` (response column) is the assistant turn. Without an
 * instruction the question itself is the `instruction` and `input` is empty, as the converter needs a
 * non-empty prompt or query. `id` is extra: LLaMA-Factory drops unmapped columns, and it lets a person
 * find a sample named in a warning.
 */
import type { TrainingPair } from "../content.js";

export interface AlpacaRecord {
  id: string;
  instruction: string;
  input: string;
  output: string;
}

export function toAlpacaRecord(pair: TrainingPair): AlpacaRecord {
  return pair.instruction
    ? { id: pair.id, instruction: pair.instruction, input: pair.question, output: pair.response }
    : { id: pair.id, instruction: pair.question, input: "", output: pair.response };
}

/** The `columns` mapping for dataset_info.json: every column the records have that LLaMA-Factory reads. */
export const ALPACA_COLUMNS = { prompt: "instruction", query: "input", response: "output" } as const;
