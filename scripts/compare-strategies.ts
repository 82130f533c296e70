/**
 * Every plan strategy on the same problems, model, code stage and files, side by side:
 *
 *   npm ci && npm run bench:strategies -- [--n 50] [--seed 0] [--json out.json] [--keep]
 *
 * Each strategy (and mcts with --verify-end) runs `sra generate` in this process (the real command:
 * flags parsed by the CLI's parser, the real OpenAI client over loopback HTTP, the request journal,
 * the run files) against the suite's fake OpenAI server, on the same --n problems. The table gives,
 * per strategy: samples written, LLM calls and tokens per sample (search and code stage together),
 * steps per plan, the share of samples whose code passes the problem's tests, and for --verify-end
 * the terminals tried per problem.
 *
 * The model and the tests are scripted (test/support/oracle-script.ts): each problem has one key idea
 * among the fake model's twelve step openings; a plan's code passes exactly when the plan uses it;
 * the evaluator scores steps with the key idea higher (7-9 against 3-7, so it is informative but
 * noisy), and the critic only checks that a plan has at least 5 steps. Until generate runs problems'
 * own tests through the executor (phase 2), that judge is also the Verifier the test-selecting
 * strategies search with (best-of-n, self-consistency and revision choose by it, --verify-end
 * accepts by it): the same function that scores the table, which a real executor would be too.
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { generateCommand } from "../src/cli/generate.js";
import { runGenerate } from "../src/commands/generate.js";
import { readRunRecords } from "../src/run-dir/records.js";
import { startFakeOpenAiServer } from "../test/support/fake-openai-server.js";
import { oracleScript, oracleVerdict } from "../test/support/oracle-script.js";
import { MODEL, tagOf, writeProblems } from "../test/support/tagged-problems.js";

interface Variant {
  name: string;
  strategy: string;
  extra: string[];
  /** Give the search the scripted tests (a Verifier). */
  verifier: boolean;
}

/** Every strategy; the test-selecting ones with the scripted tests, the others as they are. */
export const VARIANTS: readonly Variant[] = [
  { name: "mcts", strategy: "mcts", extra: [], verifier: false },
  { name: "mcts --verify-end", strategy: "mcts", extra: ["--verify-end"], verifier: true },
  { name: "cot", strategy: "cot", extra: [], verifier: false },
  { name: "beam", strategy: "beam", extra: [], verifier: false },
  { name: "best-of-n (scores)", strategy: "best-of-n", extra: [], verifier: false },
  { name: "best-of-n (tests)", strategy: "best-of-n", extra: [], verifier: true },
  { name: "self-consistency", strategy: "self-consistency", extra: [], verifier: true },
  { name: "self-refine", strategy: "self-refine", extra: [], verifier: false },
  { name: "revision", strategy: "revision", extra: [], verifier: true },
];

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
  o: { problems: string; dir: string; seed: number },
): Promise<Row> {
  const server = await startFakeOpenAiServer({
    script: oracleScript({ endAfterSteps: 3, approveAfterSteps: 5, seed: o.seed, bySeed: true }),
    models: [MODEL],
  });
  const out = path.join(o.dir, v.name.replace(/[^a-z0-9]+/gi, "-"));
  let stderr = "";
  const t0 = performance.now();
  try {
    const args = [
      ...["--model", MODEL, "--base-url", server.url, "--problems", o.problems, "--out", out],
      ...["--strategy", v.strategy, "--seed", String(o.seed), "--no-progress", ...v.extra],
    ];
    const command = generateCommand((options) =>
      runGenerate(options, {
        stderr: {
          isTTY: false,
          write: (t: string) => {
            stderr += t;
            return true;
          },
        },
        env: {},
        ...(v.verifier
          ? {
              checks: (p: { question: string }) => ({
                verifier: {
                  verify: async ({ code }: { code: string }) => oracleVerdict(tagOf(p.question) ?? "", code),
                },
              }),
            }
          : {}),
      }),
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
  const passed = samples.filter((s) => oracleVerdict(tagOf(s.question) ?? "", s.code).status === "pass");
  return {
    variant: v.name,
    problems: plans.length,
    samples: samples.length,
    callsPerSample: mean(samples.map((s) => s.meta.calls)),
    tokensPerSample: mean(samples.map((s) => s.meta.promptTokens + s.meta.completionTokens)),
    stepsPerPlan: mean(plans.map((p) => p.steps.length)),
    passRate: samples.length === 0 ? 0 : passed.length / samples.length,
    terminalsTried: v.extra.includes("--verify-end")
      ? mean(plans.map((p) => p.counters["verify.tried"] ?? 0))
      : null,
    seconds,
  };
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
  ];
  const body = rows.map((r) => [
    r.variant,
    `${r.samples}/${r.problems}`,
    r.callsPerSample.toFixed(1),
    Math.round(r.tokensPerSample).toLocaleString("en-US"),
    r.stepsPerPlan.toFixed(2),
    `${(r.passRate * 100).toFixed(0)}%`,
    r.terminalsTried === null ? "—" : r.terminalsTried.toFixed(2),
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
  const problems = await writeProblems(
    path.join(dir, "problems.jsonl"),
    Array.from({ length: n }, (_, i) => `cmp-${i}`),
  );
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
    `${n} problems, seed ${seed}, scripted model and tests (test/support/oracle-script.ts); load ${load.toFixed(1)} on ${os.cpus().length} cores\n\n`,
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
