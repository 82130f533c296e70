/**
 * `sra models [--json] [--base-url URL]`: flags only; the work is listModels in src/commands/models.ts,
 * imported when the command runs.
 */
import { Command } from "commander";
import { floatOption } from "./options.js";

interface ModelsFlags {
  json?: boolean;
  baseUrl?: string;
  apiKeyEnv: string;
  timeout: number;
  presets?: string;
}

export function modelsCommand(): Command {
  return new Command("models")
    .description(
      "List the model presets (served name, system role, LLaMA-Factory template, context length, " +
        "default sampling); with --base-url, also what that server serves.",
    )
    .option("--json", "print JSON instead of a table (default: table)")
    .option(
      "--base-url <url>",
      "also list the models this OpenAI-compatible server serves, e.g. http://localhost:8000/v1 (default: none, no server is contacted)",
    )
    .option("--api-key-env <name>", "environment variable holding the server's API key", "OPENAI_API_KEY")
    .option(
      "--timeout <seconds>",
      "seconds to wait for the server",
      floatOption("--timeout", 0, 3600, { exclusiveMin: true }),
      10,
    )
    .option("--presets <file>", "presets file (default: the bundled configs/models.json)")
    .action(async (flags: ModelsFlags) => {
      const { formatModelsReport, listModels } = await import("../commands/models.js");
      const report = await listModels({
        presetsFile: flags.presets,
        baseUrl: flags.baseUrl,
        apiKey: process.env[flags.apiKeyEnv] ?? "",
        timeoutMs: Math.round(flags.timeout * 1000),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatModelsReport(report));
    });
}
