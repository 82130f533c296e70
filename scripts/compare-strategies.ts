/**
 * Every plan strategy on the same problems, model, code stage and files, side by side:
 *
 *   npm ci && npm run bench:strategies -- [--n 50] [--seed 0] [--json out.json] [--keep]
 *
 * Each strategy (and mcts with --verify-end) runs `sra generate` in this process (the real command:
 * flags parsed by the CLI's parser, the real OpenAI client over loopback HTTP, the request journal,
 * the run files, the code checks in the real executor) against the suite's fake OpenAI server, on the
 * same --n problems. The table gives, per strategy: samples written, LLM calls and tokens per sample
 * (search and code stage together), steps per plan, the share of samples whose code passes the
 * problem's tests (run in the executor after the run, the same four asserts for every row), the
 * terminals tried per problem for --verify-end, and the run's wall time.
 *
 * The model is scripted (test/support/oracle-script.ts) but its code is real: each problem has one key
 * idea among the fake model's twelve step openings, the code of a plan that uses it is right and any
 * other plan's is one of four wrong programs. The problems carry `assert` tests, and generate binds
 * them to the search as the executor's Verifier (best-of-n, self-consistency, revision, --verify-end),
 * as it does for any problem with tests; the "(scores)" and "(examples)" rows run on the same
 * problems with their tests withheld from the run, so best-of-n falls back to the evaluator and
 * self-consistency to the codes' outputs on the statement's two examples.
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { generateCommand } from "../src/cli/generate.js";
import { runGenerate } from "../src/commands/generate.js";
import { executorChecker } from "../src/run/code-checks.js";
import { readRunRecords } from "../src/run-dir/records.js";
import { startFakeOpenAiServer } from "../test/support/fake-openai-server.js";
import { ORACLE_TESTS, oracleScript, writeOracleProblems } from "../test/support/oracle-script.js";
import { MODEL } from "../test/support/tagged-problems.js";

interface Variant {
  name: string;
  strategy: string;
  extra: string[];
  /** The problems' tests go to the run (the search selects by them); else they are withheld. */
  tests: boolean;
}

/** Every strategy; the test-selecting ones with and without the problems' tests. */
export const VARIANTS: readonly Variant[] = [
  { name: "mcts", strategy: "mcts", extra: [], tests: true },
  { name: "mcts --verify-end", strategy: "mcts", extra: ["--verify-end"], tests: true },
  { name: "cot", strategy: "cot", extra: [], tests: true },
  { name: "beam", strategy: "beam", extra: [], tests: true },
  { name: "best-of-n (scores)", strategy: "best-of-n", extra: [], tests: false },
  { name: "best-of-n (tests)", strategy: "best-of-n", extra: [], tests: true },
  { name: "self-consistency (examples)", strategy: "self-consistency", extra: [], tests: false },
  { name: "self-consistency (tests)", strategy: "self-consistency", extra: [], tests: true },
  { name: "self-refine", strategy: "self-refine", extra: [], tests: true },
  { name: "revision (critic)", strategy: "revision", extra: [], tests: false },
  { name: "revision (tests)", strategy: "revision", extra: [], tests: true },
];

/** The problems of a comparison: the same tags with their tests and without. */
export interface ComparisonProblems {
  withTests: string;
  withoutTests: string;
}

export async function writeComparisonProblems(dir: string, n: number): Promise<ComparisonProblems> {
  const tags = Array.from({ length: n }, (_, i) => `cmp-${i}`);
  return {
    withTests: await writeOracleProblems(path.join(dir, "problems.jsonl"), tags, { tests: true }),
    withoutTests: await writeOracleProblems(path.join(dir, "problems-untested.jsonl"), tags, {
      tests: false,
    }),
  };
}

export interface Row {
  variant: string;
  problems: number;
  samples: number;
  callsPerSample: number;
  tokensPerSample: number;
  stepsPerPlan: number;
  passRate: number;
  terminalsTried: number | null;
  seconds: number;
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function collect<T>(records: AsyncIterable<{ value: T }>): Promise<T[]> {
  const out: T[] = [];
  for await (const { value } of records) out.push(value);
  return out;
}

const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** One variant: a fresh fake server (the same replies to the same prompts) and a generate run. */
export async function runVariant(
  v: Variant,
  o: { problems: ComparisonProblems; dir: string; seed: number },
): Promise<Row> {
  const server = await startFakeOpenAiServer({
    script: oracleScript({ endAfterSteps: 3, approveAfterSteps: 5, seed: o.seed, bySeed: true }),
    models: [MODEL],
  });
  const out = path.join(o.dir, v.name.replace(/[^a-z0-9]+/gi, "-"));
  const problems = v.tests ? o.problems.withTests : o.problems.withoutTests;
  let stderr = "";
  const t0 = performance.now();
  try {
    const args = [
      ...["--model", MODEL, "--base-url", server.url, "--problems", problems, "--out", out],
      ...["--strategy", v.strategy, "--seed", String(o.seed), "--no-progress", ...v.extra],
    ];
    const write = (t: string) => {
      stderr += t;
      return true;
    };
    const command = generateCommand((options) =>
      runGenerate(options, { stderr: { isTTY: false, write }, env: {} }),
    ).exitOverride();
    await command.parseAsync(args, { from: "user" });
  } catch (e) {
    throw new Error(`${v.name}: ${e instanceof Error ? e.message : String(e)}\n${stderr}`);
  } finally {
    await server.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const samples = await collect(readRunRecords(out, "samples"));
  const plans = await collect(readRunRecords(out, "plans"));
  return {
    variant: v.name,
    problems: plans.length,
    samples: samples.length,
    callsPerSample: mean(samples.map((s) => s.meta.calls)),
    tokensPerSample: mean(samples.map((s) => s.meta.promptTokens + s.meta.completionTokens)),
    stepsPerPlan: mean(plans.map((p) => p.steps.length)),
    passRate: await passRate(samples.map((s) => s.code)),
    terminalsTried: v.extra.includes("--verify-end")
      ? mean(plans.map((p) => p.counters["verify.tried"] ?? 0))
      : null,
    seconds,
  };
}

/** The share of codes that pass the problems' tests, run in the executor (the same for every row). */
async function passRate(codes: readonly string[]): Promise<number> {
  if (codes.length === 0) return 0;
  const checker = executorChecker({ python: "python3", workers: 1 });
  try {
    const tests = { kind: "asserts", tests: ORACLE_TESTS, setup: "" } as const;
    const verdicts = await Promise.all(codes.map((code) => checker.test(tests, code)));
    return verdicts.filter((v) => v.status === "pass").length / codes.length;
  } finally {
    await checker.close();
  }
}

export function formatTable(rows: readonly Row[]): string {
  const head = [
    "strategy",
    "samples",
    "calls/sample",
    "tokens/sample",
    "steps/plan",
    "tests pass",
    "terminals tried",
    "wall s",
  ];
  const body = rows.map((r) => [
    r.variant,
    `${r.samples}/${r.problems}`,
    r.callsPerSample.toFixed(1),
    Math.round(r.tokensPerSample).toLocaleString("en-US"),
    r.stepsPerPlan.toFixed(2),
    `${(r.passRate * 100).toFixed(0)}%`,
    r.terminalsTried === null ? "—" : r.terminalsTried.toFixed(2),
    r.seconds.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

async function main(): Promise<void> {
  const n = Number(flag("n", "50"));
  const seed = Number(flag("seed", "0"));
  const json = flag("json", "");
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-compare-"));
  const problems = await writeComparisonProblems(dir, n);
  const load = os.loadavg()[0] ?? 0;
  const rows: Row[] = [];
  try {
    for (const v of VARIANTS) {
      rows.push(await runVariant(v, { problems, dir, seed }));
      process.stderr.write(`${v.name}: ${rows.at(-1)?.seconds.toFixed(1)} s\n`);
    }
  } finally {
    if (!process.argv.includes("--keep")) await fsp.rm(dir, { recursive: true, force: true });
    else process.stderr.write(`runs kept in ${dir}\n`);
  }
  process.stdout.write(
    `${n} problems, seed ${seed}, scripted model (test/support/oracle-script.ts), its code run in the executor; load ${load.toFixed(1)} on ${os.cpus().length} cores\n\n`,
  );
  process.stdout.write(`${formatTable(rows)}\n`);
  if (json) await fsp.writeFile(json, `${JSON.stringify(rows, null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
