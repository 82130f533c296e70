/**
 * The one place export writes files. Each file is written atomically (temporary file, fsync, rename),
 * in the order given: callers put dataset_info.json last, so its entry never names a file that is not
 * there yet. Temporary files that a killed earlier export left beside these files are removed first.
 */
import * as path from "node:path";
import { writeFileAtomic } from "../util/jsonl.js";
import { removeStaleTempFiles } from "../util/output-dir.js";

export interface OutputFile {
  path: string;
  content: string;
}

export async function writeOutputFiles(files: readonly OutputFile[]): Promise<void> {
  for (const file of files) {
    await removeStaleTempFiles(path.dirname(path.resolve(file.path)), [path.basename(file.path)]);
  }
  for (const file of files) await writeFileAtomic(file.path, file.content);
}
