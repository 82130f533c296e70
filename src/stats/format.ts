/**
 * RunStats as a plain-text table for a terminal: one row per measure, one column per run, so two or
 * more runs read side by side. Pure: returns the text.
 */
import type { RunStats, ScoreStats, UsageStats } from "../run-dir/accumulator.js";
import type { Bin, Distribution } from "../run-dir/summary-stats.js";

type Row = { kind: "section"; title: string } | { kind: "row"; label: string; values: string[] };

const BAR_WIDTH = 20;

function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function num(n: number | null, digits = 1): string {
  if (n === null) return "-";
  return Number.isInteger(n)
    ? int(n)
    : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "" : ` (${((100 * part) / whole).toFixed(1)}%)`;
}

function counts(map: Record<string, number>): string {
  const entries = Object.entries(map);
  return entries.length === 0 ? "-" : entries.map(([k, v]) => `${k} ${int(v)}`).join(", ");
}

function spread(d: Distribution, digits = 1): string {
  if (d.count === 0) return "-";
  return `mean ${num(d.mean, digits)} / med ${num(d.median, digits)} / p90 ${num(d.p90, digits)}`;
}

function range(d: Distribution): string {
  if (d.count === 0) return "-";
  return `min ${num(d.min)} / med ${num(d.median)} / max ${num(d.max)} (mean ${num(d.mean, 2)})`;
}

/** "  12  30.0% ########" with the count right-aligned to `width` and the bar scaled to `max`. */
function bar(count: number, total: number, max: number, width: number): string {
  const share = total === 0 ? 0 : (100 * count) / total;
  const len = max === 0 ? 0 : Math.round((BAR_WIDTH * count) / max);
  const hashes = count > 0 ? "#".repeat(Math.max(1, len)) : "";
  return `${int(count).padStart(width)} ${share.toFixed(1).padStart(5)}% ${hashes}`.trimEnd();
}

function binRows(label: (bin: string) => string, perRun: Bin[][], keep: (i: number) => boolean): Row[] {
  const rows: Row[] = [];
  const first = perRun[0] ?? [];
  const widths = perRun.map((bins) => Math.max(1, ...bins.map((b) => int(b.count).length)));
  first.forEach((b, i) => {
    if (!keep(i)) return;
    rows.push({
      kind: "row",
      label: label(b.label),
      values: perRun.map((bins, r) => {
        const total = bins.reduce((s, x) => s + x.count, 0);
        if (total === 0) return "-";
        const max = Math.max(...bins.map((x) => x.count));
        return bar(bins[i]?.count ?? 0, total, max, widths[r]!);
      }),
    });
  });
  return rows;
}

function unionKeys(maps: Record<string, number>[]): string[] {
  return [...new Set(maps.flatMap((m) => Object.keys(m)))].sort();
}

function scoreRows(name: string, all: ScoreStats[]): Row[] {
  const rows: Row[] = [
    { kind: "row", label: `${name}: scored`, values: all.map((s) => int(s.count)) },
    {
      kind: "row",
      label: `${name}: mean / median`,
      values: all.map((s) => (s.count === 0 ? "-" : `${num(s.mean, 2)} / ${num(s.median, 1)}`)),
    },
  ];
  if (all.some((s) => s.count > 0)) {
    rows.push(
      ...binRows(
        (b) => `${name}: ${b}`,
        all.map((s) => s.bins),
        () => true,
      ),
    );
  }
  return rows;
}

function usageRows(all: UsageStats[]): Row[] {
  return [
    { kind: "row", label: "records", values: all.map((u) => int(u.records)) },
    { kind: "row", label: "LLM calls", values: all.map((u) => spread(u.calls)) },
    { kind: "row", label: "prompt tokens", values: all.map((u) => spread(u.promptTokens, 0)) },
    { kind: "row", label: "completion tokens", values: all.map((u) => spread(u.completionTokens, 0)) },
    { kind: "row", label: "seconds", values: all.map((u) => spread(u.seconds)) },
    {
      kind: "row",
      label: "total calls / tokens",
      values: all.map((u) =>
        u.records === 0 ? "-" : `${int(u.calls.sum)} / ${int(u.promptTokens.sum + u.completionTokens.sum)}`,
      ),
    },
  ];
}

export function statsRows(runs: readonly RunStats[]): Row[] {
  const rows: Row[] = [];
  const section = (title: string) => rows.push({ kind: "section", title });
  const row = (label: string, f: (s: RunStats) => string) =>
    rows.push({ kind: "row", label, values: runs.map(f) });

  section("run");
  row("strategy", (s) => s.strategy ?? "-");
  row("model", (s) => (s.model ?? "-") + (s.preset ? ` (preset ${s.preset})` : ""));
  row("finished", (s) =>
    s.finished
      ? "yes (summary.json)"
      : s.merged
        ? "merged (merge-report.json)"
        : "no (no summary.json: killed, or still running)",
  );
  row(
    "records: trees/plans/samples/failures",
    (s) =>
      `${int(s.records.trees)} / ${int(s.records.plans)} / ${int(s.records.samples)} / ${int(s.records.failures)}`,
  );

  section("problems");
  row("seen", (s) => int(s.problems.seen));
  row("done (sample)", (s) => `${int(s.problems.done)}${pct(s.problems.done, s.problems.seen)}`);
  row("failed", (s) => `${int(s.problems.failed)}${pct(s.problems.failed, s.problems.seen)}`);
  row("unfinished", (s) => int(s.problems.unfinished));
  row("failures by stage", (s) => counts(s.failures.byStage));
  row("failures by kind", (s) => counts(s.failures.byKind));

  section("plans");
  row("plans", (s) => int(s.plans.count));
  // Of the searched plans only: a plan written whole (CoT, best-of-n, ...) has no <end>; it is complete or cut off.
  row("reached <end>", (s) =>
    s.plans.searched === 0 ? "-" : `${int(s.plans.reachedEnd)}${pct(s.plans.reachedEnd, s.plans.searched)}`,
  );
  if (runs.some((s) => s.plans.singlePass > 0)) {
    row("whole plan, not cut off", (s) =>
      s.plans.singlePass === 0 ? "-" : `${int(s.plans.complete)}${pct(s.plans.complete, s.plans.singlePass)}`,
    );
  }
  for (const reason of unionKeys(runs.map((s) => s.plans.stopReasons))) {
    row(`stop: ${reason}`, (s) => {
      const n = s.plans.stopReasons[reason] ?? 0;
      return `${int(n)}${pct(n, s.plans.count)}`;
    });
  }
  row("steps per plan", (s) => range(s.plans.steps));
  // Only the step counts that occur in some run, from the smallest to the largest.
  const used = runs.map((s) => s.plans.stepBins.map((b) => b.count > 0));
  const any = (i: number) => used.some((u) => u[i]);
  const nBins = runs[0]?.plans.stepBins.length ?? 0;
  let lo = 0;
  while (lo < nBins && !any(lo)) lo++;
  let hi = nBins - 1;
  while (hi >= 0 && !any(hi)) hi--;
  rows.push(
    ...binRows(
      (b) => `steps = ${b}`,
      runs.map((s) => s.plans.stepBins),
      (i) => i >= lo && i <= hi,
    ),
  );

  section("scores (0-10)");
  row("parsed as", (s) => counts(s.scores.parse.forms));
  row("parse fallback rate", (s) =>
    s.scores.parse.fallbackRate === null ? "-" : `${(100 * s.scores.parse.fallbackRate).toFixed(1)}%`,
  );
  rows.push(
    ...scoreRows(
      "chosen path",
      runs.map((s) => s.scores.chosen),
    ),
  );
  rows.push(
    ...scoreRows(
      "all nodes",
      runs.map((s) => s.scores.nodes),
    ),
  );

  const groups = [...new Set(runs.flatMap((s) => Object.keys(s.counters)))].sort();
  for (const group of groups) {
    section(`counters: ${group}`);
    for (const key of unionKeys(runs.map((s) => s.counters[group] ?? {}))) {
      row(key, (s) => {
        const v = s.counters[group]?.[key];
        return v === undefined ? "-" : num(v, 2);
      });
    }
  }

  section("search");
  row("regenerated steps", (s) => {
    if (s.regenerated !== null) return int(s.regenerated);
    const counted = s.counters.step?.["step.regenerated"];
    return counted === undefined ? "-" : `${int(counted)} (counter)`;
  });
  row("calls by role", (s) => counts(s.usage.callsByRole));

  section("usage per plan (search)");
  const perPlan = usageRows(runs.map((s) => s.usage.perPlan));
  rows.push(...perPlan);
  section("usage per sample (whole problem: plan + code)");
  rows.push(...usageRows(runs.map((s) => s.usage.perSample)));

  section("code");
  row("no-code failures", (s) => int(s.code.noCode));
  if (runs.some((s) => s.code.compiled + s.code.compileErrors > 0)) {
    row("compiles (code checks)", (s) => {
      const tried = s.code.compiled + s.code.compileErrors;
      return tried === 0 ? "-" : `${int(s.code.compiled)} of ${int(tried)}${pct(s.code.compiled, tried)}`;
    });
    row("never compiled (failures)", (s) => int(s.code.compileErrors));
    row("attempts asked again (did not compile)", (s) => int(s.code.compileFailures));
  }
  if (runs.some((s) => s.code.tests.samples > 0)) {
    row("own tests: samples passing", (s) => {
      const t = s.code.tests;
      return t.samples === 0 ? "-" : `${int(t.pass)} of ${int(t.samples)}${pct(t.pass, t.samples)}`;
    });
    row("own tests: fail / timeout", (s) => `${int(s.code.tests.fail)} / ${int(s.code.tests.timeout)}`);
    row("own tests: tests passed", (s) => {
      const t = s.code.tests;
      return t.total === 0 ? "-" : `${int(t.passed)} of ${int(t.total)}${pct(t.passed, t.total)}`;
    });
  }
  for (const from of unionKeys(runs.map((s) => s.code.codeFrom))) {
    row(`code from: ${from}`, (s) => {
      const n = s.code.codeFrom[from] ?? 0;
      return `${int(n)}${pct(n, s.records.samples)}`;
    });
  }
  return rows;
}

/** The table: a header with the run labels, section titles, and indented rows; columns padded. */
export function formatStatsTable(runs: readonly RunStats[]): string {
  const rows = statsRows(runs);
  const labels = rows.map((r) => (r.kind === "row" ? `  ${r.label}` : r.title));
  const labelWidth = Math.max(0, ...labels.map((l) => l.length));
  const widths = runs.map((s, i) =>
    Math.max(s.run.length, ...rows.map((r) => (r.kind === "row" ? (r.values[i] ?? "").length : 0))),
  );
  const line = (label: string, cells: string[]) =>
    `${label.padEnd(labelWidth)}  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")}`.trimEnd();
  const out = [
    line(
      "",
      runs.map((s) => s.run),
    ),
  ];
  rows.forEach((r, i) => {
    if (r.kind === "section") out.push(labels[i]!);
    else out.push(line(labels[i]!, r.values));
  });
  return `${out.join("\n")}\n`;
}
