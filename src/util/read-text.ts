/** Reading an optional text file (an earlier run's config.json, an existing dataset_info.json). */
import { readFile } from "node:fs/promises";
import { cannotReadError } from "../errors.js";

/**
 * The file's text, or undefined when it does not exist; any other failure (a directory, no
 * permission) is an InputError naming the file.
 */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw cannotReadError(e, "file", { file });
  }
}
