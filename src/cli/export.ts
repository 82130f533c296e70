import { Command } from "commander";

// Placeholder until the export command lands; replaced by its own module.
export function exportCommand(): Command {
  return new Command("export").description("(not yet available)");
}
