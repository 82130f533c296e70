/**
 * Loading the benchmarks a training set is checked against (the I/O edge of decontamination). Finding,
 * fetching and caching the files is shared with `sra eval` and lives in src/benchmarks/files.ts.
 */
import { existsSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { type DatasetSources, locateBuiltin, parseRecords, sha256Of } from "../benchmarks/files.js";
import { InputError } from "../errors.js";
import {
  BUILTIN,
  type ExtractedItems,
  isBuiltinBenchmark,
  itemsOfRecords,
  parseUserBenchmarkSpec,
  USER_TEXT_FIELDS,
  userIdOf,
  userTextOf,
} from "./benchmarks.js";

export {
  BenchmarkFetchError,
  type DatasetSources,
  datasetCaches,
  findLocal,
  locateBuiltin,
  parseRecords,
} from "../benchmarks/files.js";

export interface LoadedBenchmark {
  /** The name given to --against. */
  name: string;
  /** Where the bytes came from (a path; never a timestamp, so reports stay byte-identical). */
  file: string;
  sha256: string;
  /** The pinned sha256, for built-ins. */
  pinnedSha256: string | undefined;
  /** Where the file was found. */
  origin: "local" | "cache" | "download" | "user";
  extracted: ExtractedItems;
  /** Records in the file. */
  records: number;
}

/** Load one --against entry: a built-in name or a user file `path[:field]`. */
export async function loadBenchmark(name: string, sources: DatasetSources): Promise<LoadedBenchmark> {
  if (isBuiltinBenchmark(name)) {
    const spec = BUILTIN[name];
    const { file, data, origin } = await locateBuiltin(spec, sources);
    const records = parseRecords(data, file);
    return {
      name,
      file,
      sha256: sha256Of(data),
      pinnedSha256: spec.sha256,
      origin,
      extracted: itemsOfRecords(name, records, spec.textOf, spec.idOf),
      records: records.length,
    };
  }
  const user = parseUserBenchmarkSpec(name, (p) => existsSync(p));
  let data: Buffer;
  try {
    data = await fsp.readFile(user.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === "ENOENT" ? "benchmark file not found" : (e as Error).message, {
      file: user.path,
    });
  }
  const records = parseRecords(data, user.path);
  const extracted = itemsOfRecords(name, records, userTextOf(user.field), userIdOf);
  if (records.length > 0 && extracted.items.length === 0) {
    throw new InputError(
      `no record has a non-empty ${user.field ? `"${user.field}"` : USER_TEXT_FIELDS.map((f) => `"${f}"`).join(", ")} field`,
      { file: user.path },
      { hint: "name the text field after the path: --against path.jsonl:field" },
    );
  }
  return {
    name,
    file: user.path,
    sha256: sha256Of(data),
    pinnedSha256: undefined,
    origin: "user",
    extracted,
    records: records.length,
  };
}
