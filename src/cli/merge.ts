import { Command } from "commander";

// Placeholder until the merge command lands; replaced by its own module.
export function mergeCommand(): Command {
  return new Command("merge").description("(not yet available)");
}
