import { Command } from "commander";

// Placeholder until the decontaminate command lands; replaced by its own module.
export function decontaminateCommand(): Command {
  return new Command("decontaminate").description("(not yet available)");
}
