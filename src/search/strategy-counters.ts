/**
 * Counter keys of the strategies beside SRA-MCTS and the CoT baseline (written with the others into
 * trees.jsonl and plans.jsonl; `sra stats` lists every key it finds).
 */
export const STRATEGY_COUNTER_KEYS = {
  /** A candidate plan was chosen by its code's test result. */
  selectTests: "select.tests",
  /** Self-consistency: chosen from the largest cluster of codes with the same outputs on the examples. */
  selectOutputs: "select.outputs",
  /** Self-consistency without tests or examples: chosen from the largest cluster of identical codes. */
  selectCode: "select.code",
  /** Best-of-N: chosen by its steps' evaluate scores. */
  selectScore: "select.score",
  /** Candidates whose code passed every test. */
  candidatePassed: "candidate.passed",
  /** A candidate plan for which no code could be written. */
  candidateNoCode: "candidate.noCode",
  /** A candidate plan with no steps after the regenerations (dropped). */
  candidateEmpty: "candidate.empty",
  /** A critique that approved the plan. */
  critiqueApproved: "critique.approved",
  /** A revision that came back without steps (the earlier plan was kept). */
  reviseEmpty: "revise.empty",
  /** Beam search: a depth that was expanded. */
  beamDepth: "beam.depth",
  /** --verify-end: a terminal plan implemented and tested. */
  verifyTried: "verify.tried",
  /** --verify-end: a tested terminal that failed (reward 0, the search went on). */
  verifyFailed: "verify.failed",
  /** --verify-end on a problem without tests: its first <end> was accepted, as in the paper. */
  verifyUntested: "verify.untested",
} as const;
