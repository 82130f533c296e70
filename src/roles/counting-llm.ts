/**
 * Wrap an Llm to count what one problem costs: calls and tokens, in total and by purpose (propose,
 * reflect, evaluate, implement, cot). Only answered calls count; a call that throws has no token
 * counts, and retries inside the client are the client's business.
 */
import type { Llm } from "../llm/types.js";
import type { Usage } from "../types.js";

export function emptyUsage(): Usage {
  return { calls: 0, promptTokens: 0, completionTokens: 0, byRole: {}, tokensByRole: {} };
}

/** Add `b` into a copy of `a` (e.g. a plan's usage and its code's usage, for a sample). */
export function addUsage(a: Usage, b: Usage): Usage {
  const out: Usage = structuredClone(a);
  out.calls += b.calls;
  out.promptTokens += b.promptTokens;
  out.completionTokens += b.completionTokens;
  for (const [role, n] of Object.entries(b.byRole)) out.byRole[role] = (out.byRole[role] ?? 0) + n;
  if (b.tokensByRole) {
    out.tokensByRole ??= {};
    for (const [role, t] of Object.entries(b.tokensByRole)) {
      const cur = out.tokensByRole[role] ?? { promptTokens: 0, completionTokens: 0 };
      out.tokensByRole[role] = {
        promptTokens: cur.promptTokens + t.promptTokens,
        completionTokens: cur.completionTokens + t.completionTokens,
      };
    }
  }
  return out;
}

export function countingLlm(llm: Llm): { llm: Llm; usage(): Usage } {
  const usage = emptyUsage();
  const tokens = usage.tokensByRole as NonNullable<Usage["tokensByRole"]>;
  return {
    llm: {
      async complete(request, signal) {
        const result = await llm.complete(request, signal);
        const role = request.purpose;
        usage.calls += 1;
        usage.promptTokens += result.promptTokens;
        usage.completionTokens += result.completionTokens;
        usage.byRole[role] = (usage.byRole[role] ?? 0) + 1;
        const t = tokens[role] ?? { promptTokens: 0, completionTokens: 0 };
        tokens[role] = {
          promptTokens: t.promptTokens + result.promptTokens,
          completionTokens: t.completionTokens + result.completionTokens,
        };
        return result;
      },
    },
    usage: () => structuredClone(usage),
  };
}
