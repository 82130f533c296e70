/**
 * `--journal-ab`: what the request journal costs, measured in one run of the benchmark. The concurrent
 * case runs --repeat times with the journal (the default) and as often with --no-journal, alternating
 * (A B A B ...), so a change in the machine's load falls on both sides alike. The table compares the
 * medians; the ratio is journal / no journal.
 */
import { int, num, pct } from "./format.js";
import { type RunResult, type RunSpec, runOnce } from "./run.js";

export interface JournalAb {
  journal: RunResult[];
  noJournal: RunResult[];
}

export async function runJournalAb(
  spec: Omit<RunSpec, "label" | "repetition" | "extraArgs">,
  repeat: number,
  tmp: string,
  probeFile: string,
  log: (s: string) => void,
): Promise<JournalAb> {
  const out: JournalAb = { journal: [], noJournal: [] };
  for (let k = 0; k < repeat; k++) {
    for (const on of [true, false]) {
      const run = await runOnce(
        {
          ...spec,
          label: on ? "journal" : "no-journal",
          repetition: k,
          ...(on ? {} : { extraArgs: ["--no-journal"] }),
        },
        tmp,
        probeFile,
      );
      log(
        `    ${on ? "journal   " : "no journal"}: ${num(run.processSeconds)} s, ${int(run.llmCalls)} calls, ` +
          `${num(run.sraCpuMsPerCall, 3)} ms CPU/call, utilisation ${pct(run.utilisationActive)}`,
      );
      (on ? out.journal : out.noJournal).push(run);
    }
  }
  return out;
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)] as number;
};

export function journalAbTable(ab: JournalAb): string {
  const rows: [string, (r: RunResult) => number, (x: number) => string][] = [
    ["sra CPU per LLM call (ms)", (r) => r.sraCpuMsPerCall, (x) => num(x, 3)],
    [
      "sra CPU per LLM call, start-up and exit left out (ms)",
      (r) => r.sraCpuMsPerCallActive ?? 0,
      (x) => num(x, 3),
    ],
    ["problems per minute", (r) => r.problemsPerMinute, (x) => num(x, 0)],
    ["slot utilisation, first request to last reply", (r) => r.utilisationActive, pct],
    ["sra peak RSS (MB)", (r) => r.sraPeakRssMb, (x) => num(x, 0)],
  ];
  const lines = [
    `| median of ${ab.journal.length} runs each | journal | --no-journal | ratio |`,
    "|---|---:|---:|---:|",
  ];
  for (const [label, f, show] of rows) {
    const a = median(ab.journal.map(f));
    const b = median(ab.noJournal.map(f));
    lines.push(`| ${label} | ${show(a)} | ${show(b)} | ${b === 0 ? "-" : `${num(a / b, 3)}x`} |`);
  }
  const cpu = (rs: RunResult[]) => rs.map((r) => num(r.sraCpuMsPerCall, 3)).join(" / ");
  lines.push("");
  lines.push(`CPU per call of each run: journal ${cpu(ab.journal)}; --no-journal ${cpu(ab.noJournal)} ms.`);
  return lines.join("\n");
}
