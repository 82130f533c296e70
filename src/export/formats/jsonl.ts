/**
 * `--format jsonl`: our own Sample records, filtered (samples without code dropped) and otherwise as
 * generated, for tools that want the metadata. With `withPlan: false` the plan and steps are emptied, so
 * the file is the code-only ablation set.
 */
import type { Sample } from "../../types.js";

export function toSampleRecord(sample: Sample, withPlan: boolean): Sample {
  return withPlan ? sample : { ...sample, plan: "", steps: [] };
}
