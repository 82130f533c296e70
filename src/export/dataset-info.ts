/**
 * LLaMA-Factory's dataset registry, `dataset_info.json` in `dataset_dir`: our entry is added or
 * replaced and every other entry is kept, so several exports (say, with and without plans) can share
 * one directory. Pure: the caller reads and writes the file.
 */
import { ALPACA_COLUMNS } from "./formats/alpaca.js";
import { SHAREGPT_COLUMNS, SHAREGPT_TAGS } from "./formats/sharegpt.js";

export type LlamaFactoryStyle = "alpaca" | "sharegpt";

export interface DatasetInfoEntry {
  file_name: string;
  formatting: LlamaFactoryStyle;
  columns: Record<string, string>;
  tags?: Record<string, string>;
}

/**
 * The entry for a dataset file. The `columns` (and for sharegpt the `tags`) are complete: a partial
 * mapping makes LLaMA-Factory reset the others to None, which for alpaca silently drops the response.
 */
export function datasetInfoEntry(fileName: string, style: LlamaFactoryStyle): DatasetInfoEntry {
  return style === "alpaca"
    ? { file_name: fileName, formatting: "alpaca", columns: { ...ALPACA_COLUMNS } }
    : {
        file_name: fileName,
        formatting: "sharegpt",
        columns: { ...SHAREGPT_COLUMNS },
        tags: { ...SHAREGPT_TAGS },
      };
}

/** Why an existing dataset_info.json cannot be merged into. */
export class DatasetInfoShapeError extends Error {}

/**
 * `existing` with `name` set to `entry`: in place when it was there (order kept), else appended.
 * `existing` undefined means there was no file. Anything but a JSON object is refused.
 */
export function mergeDatasetInfo(
  existing: unknown,
  name: string,
  entry: DatasetInfoEntry,
): Record<string, unknown> {
  if (existing === undefined) return { [name]: entry };
  if (existing === null || typeof existing !== "object" || Array.isArray(existing)) {
    const what = existing === null ? "null" : Array.isArray(existing) ? "an array" : `a ${typeof existing}`;
    throw new DatasetInfoShapeError(`expected a JSON object of dataset entries, found ${what}`);
  }
  const merged: Record<string, unknown> = {};
  // defineProperty, not assignment: a "__proto__" entry must stay an entry, not become a prototype.
  const set = (key: string, value: unknown) =>
    Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true });
  let replaced = false;
  for (const [key, value] of Object.entries(existing as Record<string, unknown>)) {
    if (key === name) {
      set(key, entry);
      replaced = true;
    } else {
      set(key, value);
    }
  }
  if (!replaced) set(name, entry);
  return merged;
}

export function renderDatasetInfo(info: Record<string, unknown>): string {
  return `${JSON.stringify(info, null, 2)}\n`;
}
