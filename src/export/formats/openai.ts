/**
 * OpenAI's chat fine-tuning format: one `{"messages": [{"role": "user", ...}, {"role": "assistant", ...}]}`
 * per line. Nothing else goes in a record (the format has no place for an id).
 */
import { type TrainingPair, userText } from "../content.js";

export interface OpenAiMessage {
  role: "user" | "assistant";
  content: string;
}

export interface OpenAiRecord {
  messages: OpenAiMessage[];
}

export function toOpenAiRecord(pair: TrainingPair): OpenAiRecord {
  return {
    messages: [
      { role: "user", content: userText(pair) },
      { role: "assistant", content: pair.response },
    ],
  };
}
