/** The few lines `sra export` prints on stderr: what was written, what was skipped, what to look at. */
import type { ExportReport } from "./export-dataset.js";

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function formatExportSummary(r: ExportReport): string {
  const lines: string[] = [];
  const kind = r.format === "llamafactory" ? `llamafactory ${r.style}` : r.format;
  lines.push(
    `sra export: wrote ${r.written} of ${plural(r.read, "record")} to ${r.files.dataset} (${kind}, ${r.withPlan ? "plan + code" : "code only"}, instructions: ${r.instructionSet})`,
  );
  const skips: string[] = [];
  if (r.skipped.noCode > 0) skips.push(`${r.skipped.noCode} without code`);
  if (r.skipped.noPlan > 0) skips.push(`${r.skipped.noPlan} without a plan`);
  if (r.skipped.duplicate > 0) skips.push(`${plural(r.skipped.duplicate, "duplicate id")} (first kept)`);
  if (r.skipped.notPassing) skips.push(`${r.skipped.notPassing} failing their tests (--only-passing)`);
  if (r.skipped.untested) skips.push(`${r.skipped.untested} without tests (--only-passing)`);
  if (skips.length > 0) lines.push(`  skipped: ${skips.join(", ")}`);
  const styles = Object.entries(r.codeStyles);
  if (styles.length > 0) lines.push(`  code style: ${styles.map(([s, n]) => `${s} ${n}`).join(", ")}`);
  if (r.baseModel) {
    const m = r.baseModel;
    lines.push(
      `  model: ${m.modelNameOrPath}${m.known ? ` (preset ${m.name})` : ""}, from ${m.from}; template ${m.template} (${m.templateFrom})`,
    );
  }
  if (r.files.config) lines.push(`  config: ${r.files.config}`);
  if (r.files.datasetInfo) lines.push(`  dataset_info: ${r.files.datasetInfo} (entry "${r.name}")`);
  if (r.overLength.count > 0) {
    const more = r.overLength.count > r.overLength.ids.length ? ", ..." : "";
    lines.push(
      `  warning: ${plural(r.overLength.count, "sample")} may be longer than --cutoff-len ${r.overLength.cutoffLen} (estimated up to ~${r.overLength.maxTokens} tokens); LLaMA-Factory truncates them silently: ${r.overLength.ids.join(", ")}${more}`,
    );
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  if (r.files.config) lines.push(`  train: llamafactory-cli train ${r.files.config}`);
  return `${lines.join("\n")}\n`;
}
