/**
 * The parameters of the strategies beside SRA-MCTS (beam, best-of-n, self-consistency, self-refine,
 * revision), part of the search parameters (params.ts spreads this shape in). The seed documents
 * (the test-time-scaling baselines' README, MoTCoder's README) name the strategies but give none of
 * these numbers; their defaults, each with where it comes from, are in configs/defaults.yaml
 * (section search, "The other strategies").
 */
import { z } from "zod";

export const strategyParamsShape = {
  /**
   * Beam search: partial plans kept after each depth. Our choice: 2 beams of 3 expansions cost 14
   * calls a depth (reflect, 3 proposals, 3 scores each), 38 a sample in scripts/compare-strategies.ts
   * against default SRA-MCTS's 31, so the two compare at a similar budget.
   */
  beamWidth: z.number().int().min(1).max(32),
  /** Beam search: next steps proposed per beam and depth (default: 3, the paper's branches). */
  beamExpansions: z.number().int().min(1).max(10),
  /**
   * Best-of-N and self-consistency: independent plans per problem. Our choice (4): the baselines'
   * README gives none (its 42/85/100 are seeds); 4 CoT plans with their step scores cost 21 calls a
   * sample in scripts/compare-strategies.ts, below default SRA-MCTS's 31.
   */
  samples: z.number().int().min(1).max(64),
  /**
   * Best-of-N without tests: a plan's score from its steps' evaluate scores. "mean" (our default:
   * every step counts, a long plan is not punished for length), "min" (a plan is as good as its
   * weakest step, the usual process-reward aggregation) or "last" (the final step's score).
   */
  planScore: z.enum(["mean", "min", "last"]),
  /** Self-refine: critique-and-revise rounds at most (Self-Refine, Madaan et al. 2023: up to 4). */
  refineRounds: z.number().int().min(1).max(20),
  /** Max tokens of a critique (a short list of problems, or `<approved>`). */
  critiqueMaxTokens: z.number().int().min(1),
  /**
   * Revision: attempts in all, the first included (our choice: 4, as many plans as self-refine's
   * rounds can write, so the two compare at the same budget).
   */
  revisionAttempts: z.number().int().min(1).max(20),
  /**
   * SRA-MCTS: implement a terminal plan and run the problem's tests before accepting it (a failing
   * terminal gets reward 0 and the search goes on). Off: the paper's first <end> is accepted.
   */
  verifyEnd: z.boolean(),
};
