/**
 * `sra export`: write the dataset files, then a short summary on stderr (stdout stays empty, so the
 * command composes in scripts). The work is in src/export/export-dataset.ts.
 */
import { type ExportOptions, type ExportReport, exportDataset } from "../export/export-dataset.js";
import { formatExportSummary } from "../export/summary.js";
import { createLogger, type LogLevel } from "../util/logger.js";

export interface ExportCommandOptions extends ExportOptions {
  logLevel?: LogLevel | undefined;
}

export async function runExport(
  options: ExportCommandOptions,
  io: { stderr?: NodeJS.WritableStream } = {},
): Promise<ExportReport> {
  const { logLevel, ...exportOptions } = options;
  const logger = createLogger({ level: logLevel ?? "warn", name: "sra-export" });
  logger.debug({ options: exportOptions }, "export starting");
  const report = await exportDataset(exportOptions);
  logger.debug({ report }, "export finished");
  (io.stderr ?? process.stderr).write(formatExportSummary(report));
  return report;
}
