/**
 * `sra eval --prompt-style`: MoTCoder's two inference prompts (../shared/papers/motcoder-readme.md,
 * NORMAL_FORMAT_PROMPT and FORMAT_PROMPT). "normal" asks for the code (prompts/eval-code, -tests,
 * -stdio.md); "mot" asks for modular-of-thought code: the sub-modules first, each a function with a
 * one-line docstring, then the code that composes them (prompts/eval-mot-code, -tests, -stdio.md,
 * the same placeholders). Kept apart from prompts.ts so the settings table (and --help) stays light.
 */
export const PROMPT_STYLES = ["normal", "mot"] as const;
export type PromptStyle = (typeof PROMPT_STYLES)[number];
