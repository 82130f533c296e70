import { Command } from "commander";

// Placeholder until the stats command lands; replaced by its own module.
export function statsCommand(): Command {
  return new Command("stats").description("(not yet available)");
}
