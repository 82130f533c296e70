import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Most test files wait on child processes and loopback servers rather than compute, so two files at
    // once pay even on two cores (vitest's default there is one): the suite took 396 s with two against
    // 467 s with one on this 2-core machine, both under load from other work.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
