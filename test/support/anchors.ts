/**
 * The LLaMA-Factory facts in ../shared/anchors: the keys `llamafactory-cli train` accepts and the
 * registered chat template names. Lines starting with "#" are provenance comments.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { SHARED } from "./cli.js";

export const ANCHORS = path.join(SHARED, "anchors");

function readList(name: string): string[] {
  return readFileSync(path.join(ANCHORS, name), "utf8")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** Every key LLaMA-Factory's train parser accepts (an unknown key aborts training). */
export function loadTrainKeys(): Set<string> {
  return new Set(readList("llamafactory-train-keys.txt"));
}

/** Registered template names, in file order. */
export function loadTemplateNames(): string[] {
  return readList("llamafactory-templates.txt");
}
