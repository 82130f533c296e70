/**
 * `sra eval compare` (pure): the paper's Table 1 layout from the summaries of several runs. One row
 * per run; columns MBPP, MBPP+, MBPP+ pass@10, HumanEval, HumanEval+, HumanEval+ pass@10 (percent),
 * and the average increment over the first run (mean difference, in points, over the columns both
 * runs have). MBPP and HumanEval are the base tests of the mbpp-plus and humaneval-plus runs (as
 * evalplus reports them), or of mbpp and humaneval runs when a run has no plus run. Runs with an APPS
 * benchmark (`apps:FILE`) add MoTCoder's columns: pass@1 per difficulty and over all, then pass@5.
 */
import type { EvalSummary } from "./records.js";

export interface CompareRun {
  label: string;
  summaries: readonly EvalSummary[];
}

interface Column {
  title: string;
  /** Benchmarks tried in order, with the tests and k to read. */
  sources: { benchmark: string; tests: "base" | "plus"; k: string }[];
  /** An APPS column: a run's first summary with levels (by_difficulty), a level's or all tasks' pass@k. */
  apps?: { level: string | null; k: string };
}

export const COMPARE_COLUMNS: readonly Column[] = [
  {
    title: "MBPP",
    sources: [
      { benchmark: "mbpp-plus", tests: "base", k: "1" },
      { benchmark: "mbpp", tests: "base", k: "1" },
    ],
  },
  { title: "MBPP+", sources: [{ benchmark: "mbpp-plus", tests: "plus", k: "1" }] },
  { title: "MBPP+ pass@10", sources: [{ benchmark: "mbpp-plus", tests: "plus", k: "10" }] },
  {
    title: "HumanEval",
    sources: [
      { benchmark: "humaneval-plus", tests: "base", k: "1" },
      { benchmark: "humaneval", tests: "base", k: "1" },
    ],
  },
  { title: "HumanEval+", sources: [{ benchmark: "humaneval-plus", tests: "plus", k: "1" }] },
  { title: "HumanEval+ pass@10", sources: [{ benchmark: "humaneval-plus", tests: "plus", k: "10" }] },
];

/**
 * MoTCoder's APPS table: pass@1 per difficulty and over all tasks, then pass@5 the same way. Shown
 * only when a run has an APPS benchmark, and a pass@5 column only when a run reaches k = 5.
 */
const APPS_LEVELS = [
  ["Intro", "introductory"],
  ["Interview", "interview"],
  ["Competition", "competition"],
  ["All", null],
] as const;
export const APPS_COLUMNS: readonly Column[] = ["1", "5"].flatMap((k) =>
  APPS_LEVELS.map(([title, level]) => ({
    title: `APPS ${title}${k === "1" ? "" : ` pass@${k}`}`,
    sources: [],
    apps: { level, k },
  })),
);

export interface CompareRow {
  label: string;
  /** Percent, per column; undefined when the run has no such result. */
  values: (number | undefined)[];
  /** Points over the first run; undefined for the first run or when no column is shared. */
  increment: number | undefined;
}

export interface CompareTable {
  columns: string[];
  rows: CompareRow[];
}

function columnValue(run: CompareRun, column: Column): number | undefined {
  if (column.apps) {
    const { level, k } = column.apps;
    const summary = run.summaries.find((s) => s.by_difficulty !== undefined);
    const v = level === null ? summary?.pass_at_k.base[k] : summary?.by_difficulty?.[level]?.pass_at_k[k];
    return v === undefined ? undefined : v * 100;
  }
  for (const source of column.sources) {
    const summary = run.summaries.find((s) => s.benchmark === source.benchmark);
    const v = summary?.pass_at_k[source.tests]?.[source.k];
    if (v !== undefined) return v * 100;
  }
  return undefined;
}

export function compareTable(runs: readonly CompareRun[]): CompareTable {
  const apps = APPS_COLUMNS.filter((c) => runs.some((run) => columnValue(run, c) !== undefined));
  const columns = [...COMPARE_COLUMNS, ...apps];
  const rows: CompareRow[] = runs.map((run) => ({
    label: run.label,
    values: columns.map((c) => columnValue(run, c)),
    increment: undefined,
  }));
  const first = rows[0];
  for (const row of rows.slice(1)) {
    const diffs = row.values.flatMap((v, i) =>
      v !== undefined && first?.values[i] !== undefined ? [v - first.values[i]] : [],
    );
    if (diffs.length > 0) row.increment = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  }
  return { columns: [...columns.map((c) => c.title), "Avg. increment"], rows };
}

function cells(row: CompareRow): string[] {
  const inc =
    row.increment === undefined ? "-" : `${row.increment >= 0 ? "+" : ""}${row.increment.toFixed(1)}`;
  return [row.label, ...row.values.map((v) => (v === undefined ? "-" : v.toFixed(1))), inc];
}

export function formatCompareText(table: CompareTable): string {
  const header = ["run", ...table.columns];
  const body = table.rows.map(cells);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  return [line(header), ...body.map(line)].join("\n");
}

export function formatCompareMarkdown(table: CompareTable): string {
  const header = ["run", ...table.columns];
  const rule = header.map((_, i) => (i === 0 ? "---" : "---:"));
  return [header, rule, ...table.rows.map(cells)].map((r) => `| ${r.join(" | ")} |`).join("\n");
}
