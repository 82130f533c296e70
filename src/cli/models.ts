import { Command } from "commander";

// Placeholder until the models command lands; replaced by its own module.
export function modelsCommand(): Command {
  return new Command("models").description("(not yet available)");
}
