/**
 * `sra decontaminate`'s defaults (configs/defaults.yaml, section `decontaminate`, says why each), apart
 * from the index code: the command line builds its help text from them. Re-exported
 * by src/commands/decontaminate.ts, where they have always been imported from.
 */
import { z } from "zod";
import { readDefaultsAs } from "../util/config-defaults.js";
import { DENOMINATORS } from "./overlap.js";

const decontaminateDefaultsSchema = z
  .object({
    ngram: z.number().int().min(1),
    threshold: z.number().min(0).max(1),
    denominator: z.enum(DENOMINATORS),
    top: z.number().int().min(0),
    questionField: z.string().min(1),
    idField: z.string().min(1),
  })
  .strict();

export const DECONTAMINATE_DEFAULTS: Readonly<z.infer<typeof decontaminateDefaultsSchema>> = readDefaultsAs(
  "decontaminate",
  decontaminateDefaultsSchema,
);
