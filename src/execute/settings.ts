/**
 * The executor's settings as option-table rows (src/util/option-table.ts), shared by every command that
 * runs code: `sra eval` (its `execute` section) and `sra generate`'s code checks (its `check` section).
 * Loaded by the command line to build --help: no I/O, no heavy imports.
 */
import * as os from "node:os";
import { z } from "zod";
import { readDefaults } from "../util/config-defaults.js";
import { option, tableWithDefaults } from "../util/option-table.js";

/** The rows; their defaults come from configs/defaults.yaml's `execute` section. */
const EXECUTE_ROWS = {
  python: option({
    schema: z.string().min(1),
    flag: "--python <path>",
    help: "the Python interpreter that runs code (a path, or a name looked up on PATH)",
    showDefault: (p) => `${p} from PATH`,
  }),
  /** null: one per core. */
  workers: option({
    schema: z.number().int().min(1).max(1024).nullable(),
    flag: "--workers <n>",
    help: "code checks run at once, each in its own sandboxed process",
    showDefault: (n) => (n === null ? `the number of cores (${os.availableParallelism()} here)` : String(n)),
  }),
};

export const EXECUTE_SETTINGS = tableWithDefaults(EXECUTE_ROWS, readDefaults("execute"));

/** The executor's worker count for a `workers` setting. */
export function workersOf(setting: number | null): number {
  return setting ?? os.availableParallelism();
}
