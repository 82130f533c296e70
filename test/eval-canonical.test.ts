/**
 * The benchmarks end to end through the real executor: every canonical solution passes base and plus
 * on HumanEval+ (164) and MBPP+ (399), and on the original HumanEval and MBPP tests; a file of
 * deliberately wrong samples, in evalplus's samples format, gets the verdicts predicted for it.
 *
 * To keep CI short, the plus inputs of the 18 tasks whose canonical solutions take over 0.5 s are
 * left out here (they are ~90% of the compute: HumanEval/139 alone ~4 s, Mbpp/599 ~20 s, per run);
 * their base inputs are checked. `npm run bench:eval` checks all 164 + 399 base and plus.
 * HumanEval/130 and Mbpp/255 stay: their outputs over 1 MiB and 16 MiB exercise the digest paths.
 */
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EvalBenchmark, loadEvalBenchmark } from "../src/benchmarks/eval-tasks.js";
import { type ExpectedOutputs, prepareExpected } from "../src/benchmarks/expected.js";
import type { DatasetSources } from "../src/benchmarks/files.js";
import { evaluateSamples } from "../src/eval/evaluate.js";
import { parseSamples } from "../src/eval/samples-format.js";
import { Executor } from "../src/execute/executor.js";
import { DATASETS } from "./support/cli.js";

let tmp: string;
let ex: Executor;
const bench: Record<string, EvalBenchmark> = {};
const SLOW_PLUS = new Set([
  ...["HumanEval/139", "HumanEval/15", "HumanEval/59", "HumanEval/83", "HumanEval/36", "HumanEval/94"],
  ...["Mbpp/599", "Mbpp/123", "Mbpp/392", "Mbpp/271", "Mbpp/603", "Mbpp/592", "Mbpp/84", "Mbpp/389"],
  ...["Mbpp/589", "Mbpp/300", "Mbpp/583", "Mbpp/162"],
]);

/** The benchmark with the slow tasks' plus inputs left out (see above). */
function forCi(b: EvalBenchmark): EvalBenchmark {
  const tasks = b.tasks.map((t) =>
    SLOW_PLUS.has(t.taskId) && t.tests.kind === "evalplus"
      ? { ...t, tests: { ...t.tests, plusInputs: undefined, plusCount: 0 } }
      : t,
  );
  return { ...b, tasks };
}
const expected: Record<string, ExpectedOutputs> = {};

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-canonical-"));
  ex = await Executor.start({ workers: 2 });
  const sources: DatasetSources = {
    dirs: [DATASETS],
    cacheDir: path.join(tmp, "datasets"),
    baseUrl: "http://127.0.0.1:9",
    notify: () => undefined,
  };
  for (const name of ["humaneval-plus", "mbpp-plus", "humaneval", "mbpp"])
    bench[name] = forCi(await loadEvalBenchmark(name, sources));
  for (const name of ["humaneval-plus", "mbpp-plus"]) {
    expected[name] = await prepareExpected(bench[name]!, ex, { cacheDir: path.join(tmp, "cache") });
  }
}, 600_000);

afterAll(async () => {
  await ex?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function canonical(name: string) {
  const b = bench[name]!;
  const samples = b.tasks.map((t) => ({ taskId: t.taskId, index: 0, solution: t.canonical ?? "" }));
  return evaluateSamples({ benchmark: b, expected: expected[name], executor: ex, samples });
}

describe("canonical solutions score 100%", () => {
  it.each([
    ["humaneval-plus", 164],
    ["mbpp-plus", 399],
  ] as const)(
    "%s: %i of %i, base and plus",
    async (name, count) => {
      expect(expected[name]?.tasks.size).toBe(count);
      const { results, summary } = await canonical(name);
      const slow = results.filter((r) => SLOW_PLUS.has(r.task_id));
      const failed = results.filter(
        (r) => r.base_status !== "pass" || (r.plus_status !== "pass" && !SLOW_PLUS.has(r.task_id)),
      );
      expect(failed.map((r) => [r.task_id, r.base.failure ?? r.plus?.failure])).toEqual([]);
      expect(slow.map((r) => r.plus_status)).toEqual(slow.map(() => null));
      expect(results).toHaveLength(count);
      expect(summary.pass_at_k.base).toEqual({ "1": 1 });
      expect(summary.counts.plus).toEqual({ pass: count - slow.length, fail: 0, timeout: 0 });
      expect(summary.solved.base).toHaveLength(count);
      expect(summary.canonical_failures).toEqual([]);
    },
    600_000,
  );

  it.each([
    ["humaneval", 164],
    ["mbpp", 500],
  ] as const)(
    "%s (the original tests): %i of %i",
    async (name, count) => {
      const { results, summary } = await canonical(name);
      expect(results.filter((r) => r.base_status !== "pass").map((r) => [r.task_id, r.base.failure])).toEqual(
        [],
      );
      expect(summary).toMatchObject({ tasks: count, pass_at_k: { base: { "1": 1 } } });
      expect(summary.pass_at_k.plus).toBeUndefined();
    },
    600_000,
  );

  it("the expected outputs come from the cache the second time, and the cache is the owner's only", async () => {
    const again = await prepareExpected(bench["humaneval-plus"]!, ex, { cacheDir: path.join(tmp, "cache") });
    expect(again.computed).toBe(false);
    expect(again.tasks.size).toBe(164);
    const stat = await fsp.stat(path.join(again.dir, "blobs.bin"));
    expect(stat.mode & 0o077).toBe(0);
  });
});

const HE130_INTS = `def tri(n):
    if n == 0:
        return [1]
    out = [1, 3]
    for i in range(2, n + 1):
        out.append(i // 2 + 1 if i % 2 == 0 else out[i - 1] + out[i - 2] + (i + 3) // 2)
    return out
`;

/** [task, solution, predicted base, predicted plus (null: no plus), what the prediction rests on] */
type Prediction = [string, string, "pass" | "fail" | "timeout", "pass" | "fail" | "timeout" | null, string];

const WRONG: Prediction[] = [
  [
    "HumanEval/0",
    "def has_close_elements(numbers, threshold):\n    return False\n",
    "fail",
    "fail",
    "a wrong value",
  ],
  [
    "HumanEval/0",
    "def has_close_elements(numbers, threshold):\n    raise ValueError('no')\n",
    "fail",
    "fail",
    "an exception",
  ],
  [
    "HumanEval/2",
    "def truncate_number(number):\n    return str(number % 1.0)\n",
    "fail",
    "fail",
    "a str for a float",
  ],
  [
    "HumanEval/2",
    "def truncate_number(number):\n    return number % 1.0 + 1e-9\n",
    "pass",
    "pass",
    "within the enforced atol 1e-6",
  ],
  [
    "HumanEval/2",
    "def truncate_number(number):\n    return number % 1.0 + 1e-3\n",
    "fail",
    "fail",
    "outside the tolerance",
  ],
  [
    "HumanEval/13",
    "import math\ndef greatest_common_divisor(a, b):\n    return float(math.gcd(a, b))\n",
    "pass",
    "pass",
    "1.0 == 1",
  ],
  [
    "HumanEval/53",
    "def add(x, y):\n    return float(x + y)\n",
    "pass",
    "fail",
    "exact for small ints, not for a 30-digit plus input",
  ],
  [
    "HumanEval/8",
    "def sum_product(numbers):\n    s, p = 0, 1\n    for n in numbers:\n        s, p = s + n, p * n\n    return [s, p]\n",
    "fail",
    "fail",
    "a list for a tuple",
  ],
  // (Another root passing by the find_zero oracle is in execute-checks: on HumanEval/32's own
  // steep polynomials a root-finder other than the canonical one misses atol 1e-4 on a few inputs.)
  ["HumanEval/32", "def find_zero(xs):\n    return 0.0\n", "fail", "fail", "not a root"],
  ["HumanEval/130", HE130_INTS, "pass", "pass", "ints for floats in outputs over 1 MiB (shipped, then ==)"],
  [
    "Mbpp/164",
    "def are_equivalent(num1, num2):\n    return False\n",
    "pass",
    "pass",
    "evalplus passes any output of Mbpp/164",
  ],
  ["Mbpp/295", "def sum_div(number):\n    return 0\n", "pass", "pass", "Mbpp/295 accepts 0"],
  [
    "Mbpp/2",
    "def similar_elements(a, b):\n    return sorted(set(a) & set(b), reverse=True)\n",
    "pass",
    "pass",
    "a set-equality task",
  ],
  ["Mbpp/2", "def similar_elements(a, b):\n    return ()\n", "fail", "fail", "a wrong value"],
  [
    "Mbpp/581",
    "import math\ndef surface_Area(b, s):\n    return round(b ** 2 + 4 * (b * math.sqrt((b / 2) ** 2 + s ** 2)) / 2)\n",
    "pass",
    "pass",
    "the other reading of the task (the Mbpp/581 oracle)",
  ],
  [
    "Mbpp/558",
    "def digit_distance_nums(n1, n2):\n    a, b = str(n1), str(n2)\n    w = max(len(a), len(b))\n    return sum(abs(int(x) - int(y)) for x, y in zip(a.zfill(w), b.zfill(w)))\n",
    "pass",
    "pass",
    "zero-padded (the Mbpp/558 oracle)",
  ],
  [
    "Mbpp/737",
    "import re\ndef check_str(string):\n    m = re.search('^[aeiouAEIOU][A-Za-z0-9_]*', string)\n    return [m] if m else None\n",
    "pass",
    "pass",
    "graded on returned something",
  ],
  [
    "HumanEval/0 (original)",
    "def has_close_elements(numbers, threshold):\n    return False\n",
    "fail",
    null,
    "the original check()",
  ],
  ["11 (original MBPP)", "def remove_Occ(s, ch):\n    return s\n", "fail", null, "the original asserts"],
  ["my/1", "while True:\n    pass\n", "timeout", "timeout", "an infinite loop at module level"],
  [
    "my/1",
    "import time\ndef f(x):\n    time.sleep(5)\n    return x\n",
    "fail",
    "fail",
    "the per-input limit (4 s)",
  ],
];

describe("a file of deliberately wrong samples gets the predicted verdicts", () => {
  it("in evalplus's format, each sample's base and plus status as predicted", async () => {
    const my = path.join(tmp, "my.jsonl");
    await fsp.writeFile(
      my,
      `${JSON.stringify({ task_id: "my/1", prompt: "", entry_point: "f", canonical_solution: "def f(x):\n    return x\n", base_input: [[1]], plus_input: [[2]], atol: 0 })}\n`,
    );
    const sources: DatasetSources = {
      dirs: [DATASETS],
      cacheDir: tmp,
      baseUrl: undefined,
      notify: () => undefined,
    };
    const mine = await loadEvalBenchmark(my, sources);
    const groups: [EvalBenchmark, ExpectedOutputs | undefined, (id: string) => boolean][] = [
      [
        bench["humaneval-plus"]!,
        expected["humaneval-plus"],
        (id) => id.startsWith("HumanEval/") && !id.includes(" "),
      ],
      [bench["mbpp-plus"]!, expected["mbpp-plus"], (id) => id.startsWith("Mbpp/")],
      [bench.humaneval!, undefined, (id) => id.endsWith("(original)")],
      [bench.mbpp!, undefined, (id) => id.endsWith("(original MBPP)")],
      [mine, await prepareExpected(mine, ex, { cacheDir: path.join(tmp, "cache") }), (id) => id === "my/1"],
    ];
    // Per group: [task, index within the task, base, plus], predicted and got.
    const outcomes = await Promise.all(
      groups.map(async ([benchmark, exp, inGroup]) => {
        const mine_ = WRONG.filter(([id]) => inGroup(id));
        const lines = mine_.map(([id, solution]) => JSON.stringify({ task_id: id.split(" ")[0], solution }));
        const samples = parseSamples(lines.join("\n"), "wrong.jsonl", () => undefined);
        const ids = new Set(samples.map((s) => s.taskId));
        const sub = { ...benchmark, tasks: benchmark.tasks.filter((t) => ids.has(t.taskId)) };
        const { results } = await evaluateSamples({
          benchmark: sub,
          expected: exp,
          executor: ex,
          samples,
          reuseIdentical: false,
        });
        const byKey = new Map(
          results.map((r) => [`${r.task_id}#${r.index}`, [r.base_status, r.plus_status]]),
        );
        return samples.map((sample, i) => {
          const [id, , base, plus, why] = mine_[i] as Prediction;
          return { id, why, want: [base, plus], got: byKey.get(`${sample.taskId}#${sample.index}`) };
        });
      }),
    );
    const rows = outcomes.flat();
    expect(rows).toHaveLength(WRONG.length);
    expect(rows.filter((r) => JSON.stringify(r.got) !== JSON.stringify(r.want))).toEqual([]);
  }, 120_000);
});
