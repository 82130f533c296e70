/**
 * The benchmark files sra knows by name: where each comes from (raw files at fixed commits, so the
 * bytes and their sha256 never change: the commits of the copies in ../shared/datasets, see
 * SOURCES.md there) and the names a local copy may have. `sra decontaminate` and `sra eval` share them.
 */

export const BENCHMARK_NAMES = [
  "humaneval",
  "mbpp",
  "humaneval-plus",
  "mbpp-plus",
  "mbpp-sanitized",
] as const;
export type BenchmarkName = (typeof BENCHMARK_NAMES)[number];

export interface BenchmarkFile {
  name: BenchmarkName;
  /** The file's name in the cache, in a mirror, and in ../shared/datasets. */
  fileName: string;
  /** Other names accepted in --datasets-dir, as patterns (checked after fileName, sorted by name). */
  localPatterns: RegExp[];
  /** The pinned origin. */
  url: string;
  sha256: string;
}

const RAW = "https://raw.githubusercontent.com";

export const BENCHMARK_FILES: Record<BenchmarkName, BenchmarkFile> = {
  humaneval: {
    name: "humaneval",
    fileName: "HumanEval.jsonl.gz",
    localPatterns: [/^HumanEval\.jsonl$/],
    url: `${RAW}/openai/human-eval/6d43fb980f9fee3c892a914eda09951f772ad10d/data/HumanEval.jsonl.gz`,
    sha256: "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef",
  },
  mbpp: {
    name: "mbpp",
    fileName: "mbpp.jsonl",
    localPatterns: [],
    url: `${RAW}/patdfb/TPC-EES/30c8c572bfcd0fc5fa537210710d7fde134e4868/mbpp/mbpp.jsonl`,
    sha256: "ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f",
  },
  "humaneval-plus": {
    name: "humaneval-plus",
    fileName: "HumanEvalPlus-v0.1.10.jsonl.gz",
    localPatterns: [/^HumanEvalPlus.*\.jsonl(\.gz)?$/],
    url: `${RAW}/evalplus/humanevalplus_release/200defce9e3429d28ca215b6dd061c0f7f31c18b/HumanEvalPlus.jsonl.gz`,
    sha256: "272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101",
  },
  "mbpp-plus": {
    name: "mbpp-plus",
    fileName: "MbppPlus-evalplus-git-767efcc.jsonl",
    localPatterns: [/^MbppPlus.*\.jsonl(\.gz)?$/],
    url: `${RAW}/evalplus/evalplus/767efcc368e0ef16568bba4ee2f1b005e849e8a6/MbppPlus.jsonl`,
    sha256: "08405a4e8764a4941cfe0945d25a956355a0454f364ea902c4020a44e7057973",
  },
  "mbpp-sanitized": {
    name: "mbpp-sanitized",
    fileName: "sanitized-mbpp.json",
    localPatterns: [/^sanitized-mbpp\.jsonl?$/],
    url: `${RAW}/patdfb/TPC-EES/0f4e84d313671e09268aecb804d0e99062980869/mbpp/sanitized-mbpp.json`,
    sha256: "ca95deaa9a01ef0a6f439f88bcf0dd3db3563d22f22aad6cae04ebb9a8d8c8e9",
  },
};

export function isBenchmarkName(name: string): name is BenchmarkName {
  return (BENCHMARK_NAMES as readonly string[]).includes(name);
}
