/**
 * `sra export`'s formats and defaults, in a module without dependencies: the command line builds its
 * help text from them without loading the exporter (YAML, zod, the formatters). Re-exported by
 * export-dataset.ts, where they have always been imported from.
 */
export const EXPORT_FORMATS = ["llamafactory", "jsonl", "sharegpt", "openai"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const LLAMAFACTORY_STYLES = ["alpaca", "sharegpt"] as const;

export const EXPORT_DEFAULTS = {
  instructionSet: "default",
  seed: 0,
  loraRank: 8,
  epochs: 3,
  learningRate: 1e-4,
  cutoffLen: 2048,
  style: "alpaca",
} as const;
