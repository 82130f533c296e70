/**
 * The records `sra eval` writes and reads (zod: results.jsonl lines and summary.json cross a file
 * boundary; `sra eval compare` reads other runs' summaries). Field names are snake_case, as evalplus's
 * own result files and DESIGN.md's sketch spell them.
 */
import { z } from "zod";

export const CheckStatusSchema = z.enum(["pass", "fail", "timeout"]);

export const FailureSchema = z.object({
  index: z.number().int().nullable(),
  reason: z.string(),
  input: z.string().optional(),
  expected: z.string().optional(),
  actual: z.string().optional(),
  error: z.string().optional(),
  test: z.string().optional(),
  line: z.number().int().nullable().optional(),
});

export const SetResultSchema = z.object({
  status: CheckStatusSchema,
  passed: z.number().int(),
  total: z.number().int(),
  seconds: z.number(),
  failure: FailureSchema.optional(),
});

export const EvalResultSchema = z.object({
  task_id: z.string(),
  index: z.number().int(),
  base_status: CheckStatusSchema,
  /** null when the benchmark has no plus tests. */
  plus_status: CheckStatusSchema.nullable(),
  base: SetResultSchema,
  plus: SetResultSchema.optional(),
  /** The sample had the same code as sample `reused_from` of the task, so its verdict was reused. */
  reused_from: z.number().int().optional(),
});
export type EvalResult = z.infer<typeof EvalResultSchema>;
export type SetResult = z.infer<typeof SetResultSchema>;

const StatusCounts = z.object({ pass: z.number().int(), fail: z.number().int(), timeout: z.number().int() });
const PassAtK = z.record(z.string(), z.number());

export const EvalSummarySchema = z.object({
  benchmark: z.string(),
  file: z.string(),
  sha256: z.string(),
  tasks: z.number().int(),
  samples: z.number().int(),
  /** Samples per task (pass@k uses each task's own n; k is reported only up to the smallest). */
  n: z.object({ min: z.number().int(), max: z.number().int() }),
  pass_at_k: z.object({ base: PassAtK, plus: PassAtK.optional() }),
  counts: z.object({ base: StatusCounts, plus: StatusCounts.optional() }),
  solved: z.object({ base: z.array(z.string()), plus: z.array(z.string()).optional() }),
  /** Tasks of the benchmark with no sample (left out of pass@k), and samples of unknown tasks. */
  missing_tasks: z.array(z.string()),
  unknown_tasks: z.array(z.string()),
  /** Tasks whose canonical solution failed, so expected outputs are incomplete. */
  canonical_failures: z.array(z.string()),
  timings: z.object({
    wall_seconds: z.number(),
    checks: z.number().int(),
    executed: z.number().int(),
    check_seconds: z.number(),
    checks_per_second: z.number(),
    expected_seconds: z.number(),
  }),
  sandbox: z.record(z.string(), z.string()).optional(),
  /**
   * APPS-style benchmarks (tasks with a `difficulty`): pass@k per difficulty, as MoTCoder reports
   * APPS (introductory, interview, competition first, then any other level in file order).
   */
  by_difficulty: z
    .record(z.string(), z.object({ tasks: z.number().int(), samples: z.number().int(), pass_at_k: PassAtK }))
    .optional(),
});
export type EvalSummary = z.infer<typeof EvalSummarySchema>;
