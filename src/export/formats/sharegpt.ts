/**
 * ShareGPT conversations: `{"conversations": [{"from": "human", ...}, {"from": "gpt", ...}]}`, one user
 * turn then one assistant turn (LLaMA-Factory wants user/observation at odd positions and
 * assistant/function at even ones, and an even count). Used for `--format sharegpt` and for
 * `--format llamafactory --style sharegpt`.
 */
import { type TrainingPair, userText } from "../content.js";

export interface ShareGptTurn {
  from: "human" | "gpt";
  value: string;
}

export interface ShareGptRecord {
  id: string;
  conversations: ShareGptTurn[];
}

export function toShareGptRecord(pair: TrainingPair): ShareGptRecord {
  return {
    id: pair.id,
    conversations: [
      { from: "human", value: userText(pair) },
      { from: "gpt", value: pair.response },
    ],
  };
}

/** dataset_info.json `columns` for these records. */
export const SHAREGPT_COLUMNS = { messages: "conversations" } as const;

/**
 * dataset_info.json `tags`, complete: LLaMA-Factory replaces the whole tag set when one is given, so
 * every tag is spelled out (the values are its defaults, stated so the entry does not depend on them).
 */
export const SHAREGPT_TAGS = {
  role_tag: "from",
  content_tag: "value",
  user_tag: "human",
  assistant_tag: "gpt",
  observation_tag: "observation",
  function_tag: "function_call",
  system_tag: "system",
} as const;
