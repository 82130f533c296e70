/**
 * What one benchmark folder of `sra eval` says at the end (pure): summary.json (the evaluation's
 * EvalSummary and how the run was made), the line printed on stderr, and the results table printed
 * on stdout.
 */
import type { EvalRunSummary } from "../eval-dir/records.js";
import { formatDuration } from "../run/progress.js";
import type { EvalConfig } from "./eval-config.js";
import type { GenerationCounts } from "./generate-samples.js";
import type { EvalSummary } from "./records.js";

export function buildRunSummary(input: {
  evaluation: EvalSummary;
  config: EvalConfig;
  /** This invocation's generation (null with --samples). */
  counts: GenerationCounts | null;
  missingSamples: number;
  /** Every selected sample is there and was checked. */
  complete: boolean;
  startedAt: number;
  finishedAt: number;
}): EvalRunSummary {
  const { config, counts } = input;
  return {
    ...input.evaluation,
    run: {
      source: config.source,
      model: config.model?.servedModel ?? null,
      n: config.generation?.n ?? null,
      temperature: config.generation?.temperature ?? null,
      instruction: config.generation?.instruction ?? null,
      complete: input.complete,
      missing_samples: input.missingSamples,
      started_at: new Date(input.startedAt).toISOString(),
      finished_at: new Date(input.finishedAt).toISOString(),
      seconds: Math.round(input.finishedAt - input.startedAt) / 1000,
      generation: counts
        ? {
            generated: counts.generated,
            failed: counts.failed,
            prompt_tokens: counts.promptTokens,
            completion_tokens: counts.completionTokens,
            extracted_from: { ...counts.extractedFrom },
          }
        : null,
    },
  };
}

const pct = (x: number | undefined): string => (x === undefined ? "-" : (x * 100).toFixed(1));

/** The k values reported by any of the summaries, in order. */
function ksOf(summaries: readonly EvalSummary[]): string[] {
  const ks = new Set<string>();
  for (const s of summaries) for (const k of Object.keys(s.pass_at_k.base)) ks.add(k);
  return [...ks].sort((a, b) => Number(a) - Number(b));
}

/** One line per benchmark on stderr: what was scored and how it went. */
export function formatBenchmarkLine(folder: string, s: EvalRunSummary): string {
  const scores = Object.entries(s.pass_at_k.base)
    .map(([k, v]) => {
      const plus = s.pass_at_k.plus?.[k];
      return `pass@${k} ${pct(v)}%${plus === undefined ? "" : ` (plus ${pct(plus)}%)`}`;
    })
    .join(", ");
  const counts = s.counts.base;
  const missing = s.run && s.run.missing_samples > 0 ? `; ${s.run.missing_samples} samples missing` : "";
  const line =
    `${folder}: ${s.tasks} tasks, ${s.samples} samples (n ${s.n.min === s.n.max ? s.n.min : `${s.n.min}-${s.n.max}`}): ` +
    `${scores || "nothing scored"}; base pass ${counts.pass}, fail ${counts.fail}, timeout ${counts.timeout}${missing}` +
    ` (checks ${formatDuration(s.timings.wall_seconds * 1000)})`;
  // APPS: one line per difficulty under the benchmark's, as MoTCoder reports it.
  const levels = Object.entries(s.by_difficulty ?? {}).map(
    ([level, d]) =>
      `  ${level}: ${d.tasks} tasks, ${Object.entries(d.pass_at_k)
        .map(([k, v]) => `pass@${k} ${pct(v)}%`)
        .join(", ")}`,
  );
  return [line, ...levels].join("\n");
}

/** The results table on stdout: one row per benchmark, pass@k in percent for base and plus tests. */
export function formatResultsTable(rows: readonly { folder: string; summary: EvalSummary }[]): string {
  const ks = ksOf(rows.map((r) => r.summary));
  const header = ["benchmark", "tasks", "samples", ...ks.flatMap((k) => [`pass@${k}`, `plus pass@${k}`])];
  const body = rows.flatMap(({ folder, summary: s }) => [
    [
      folder,
      String(s.tasks),
      String(s.samples),
      ...ks.flatMap((k) => [pct(s.pass_at_k.base[k]), s.pass_at_k.plus ? pct(s.pass_at_k.plus[k]) : "-"]),
    ],
    // APPS: a row per difficulty under the benchmark's (base tests only: APPS has no plus).
    ...Object.entries(s.by_difficulty ?? {}).map(([level, d]) => [
      `  ${level}`,
      String(d.tasks),
      String(d.samples),
      ...ks.flatMap((k) => [pct(d.pass_at_k[k]), "-"]),
    ]),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  return [line(header), ...body.map(line)].join("\n");
}
