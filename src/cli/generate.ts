import { Command } from "commander";

// Placeholder until the generate command lands; replaced by its own module.
export function generateCommand(): Command {
  return new Command("generate").description("(not yet available)");
}
