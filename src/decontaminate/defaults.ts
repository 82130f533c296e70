/**
 * `sra decontaminate`'s defaults, in a module without dependencies: the command line builds its help
 * text from them without loading the decontamination code. Re-exported by src/commands/decontaminate.ts,
 * where they have always been imported from.
 */
import type { Denominator } from "./overlap.js";

export const DECONTAMINATE_DEFAULTS = {
  ngram: 10,
  threshold: 0.5,
  denominator: "min" as Denominator,
  top: 20,
  questionField: "question",
  idField: "id",
};
