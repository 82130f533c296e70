/**
 * The one place export writes files. Each file is written atomically (temporary file, fsync, rename),
 * in the order given: callers put dataset_info.json last, so its entry never names a file that is not
 * there yet.
 */
import { writeFileAtomic } from "../util/jsonl.js";

export interface OutputFile {
  path: string;
  content: string;
}

export async function writeOutputFiles(files: readonly OutputFile[]): Promise<void> {
  for (const file of files) await writeFileAtomic(file.path, file.content);
}
