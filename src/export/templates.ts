/**
 * LLaMA-Factory's registered chat template names (`register_template` in its data/template.py), kept
 * in the package because `--template` is checked before anything is written: an unknown name makes
 * `llamafactory-cli train` fail only after the model has loaded. test/export-anchors.test.ts checks this
 * list against ../shared/anchors/llamafactory-templates.txt, so a refreshed anchor shows up as a diff.
 */

/** Source: hiyouga/LLaMA-Factory ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30. */
export const LLAMAFACTORY_TEMPLATES: readonly string[] = [
  "aeva",
  "alpaca",
  "bailing",
  "bailing_v2",
  "breeze",
  "chatglm3",
  "chatml",
  "chatml_de",
  "cohere",
  "cpm4",
  "dbrx",
  "deepseek",
  "deepseek3",
  "deepseekcoder",
  "deepseekr1",
  "default",
  "dots_ocr",
  "empty",
  "ernie",
  "ernie_nothink",
  "ernie_vl",
  "exaone",
  "falcon",
  "falcon_h1",
  "fewshot",
  "gemma",
  "gemma2",
  "gemma3",
  "gemma3n",
  "gemma4",
  "gemma4n",
  "glm4",
  "glm4_5v",
  "glm4_7",
  "glm4_moe",
  "glm4v",
  "glm_ocr",
  "glmz1",
  "gpt_oss",
  "granite3",
  "granite3_vision",
  "granite4",
  "hunyuan",
  "hunyuan_small",
  "hy3",
  "hy_dense_1_8b",
  "hy_dense_7b",
  "index",
  "intern2",
  "intern_s1",
  "intern_vl",
  "keye_vl",
  "kimi_vl",
  "lfm2",
  "lfm2_vl",
  "llama2",
  "llama2_zh",
  "llama3",
  "llama4",
  "llava",
  "llava_next",
  "llava_next_llama3",
  "llava_next_mistral",
  "llava_next_qwen",
  "llava_next_video",
  "llava_next_video_mistral",
  "llava_next_video_yi",
  "llava_next_yi",
  "mimo",
  "mimo_v2",
  "mimo_vl",
  "minicpm_o",
  "minicpm_v",
  "minicpm_v_4_6",
  "minimax1",
  "minimax2",
  "ministral",
  "ministral3",
  "mistral",
  "mistral_small",
  "mllama",
  "moonlight",
  "moss_vl",
  "olmo",
  "openchat",
  "openchat-3.6",
  "opencoder",
  "paligemma",
  "paligemma_chat",
  "phi",
  "phi4",
  "phi4_mini",
  "phi_small",
  "pixtral",
  "qwen",
  "qwen2_audio",
  "qwen2_omni",
  "qwen2_vl",
  "qwen3",
  "qwen3_5",
  "qwen3_5_nothink",
  "qwen3_6",
  "qwen3_nothink",
  "qwen3_omni",
  "qwen3_omni_nothink",
  "qwen3_vl",
  "qwen3_vl_nothink",
  "sailor",
  "seed_coder",
  "seed_oss",
  "smollm",
  "smollm2",
  "solar",
  "starchat",
  "telechat2",
  "vicuna",
  "video_llava",
  "xuanyuan",
  "yi",
  "yi_vl",
  "youtu",
  "youtu_vl",
  "yuan",
  "zephyr",
];

const REGISTERED = new Set(LLAMAFACTORY_TEMPLATES);

export function isRegisteredTemplate(name: string): boolean {
  return REGISTERED.has(name);
}

/** Levenshtein distance, for "did you mean" lists. */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * Registered names close to `name`: same family prefix (llama3 for "llama-3"), a substring either way,
 * or a small edit distance; nearest first, at most `limit`.
 */
export function closeTemplateNames(name: string, limit = 6): string[] {
  const wanted = name.toLowerCase().replace(/[^a-z0-9]/g, "");
  const scored: { name: string; score: number }[] = [];
  for (const t of LLAMAFACTORY_TEMPLATES) {
    const flat = t.replace(/[^a-z0-9]/g, "");
    let score = editDistance(wanted, flat);
    if (wanted.length >= 3 && flat.length >= 3 && (flat.includes(wanted) || wanted.includes(flat))) {
      score = Math.min(score, 1);
    }
    if (score <= Math.max(2, Math.floor(wanted.length / 3))) scored.push({ name: t, score });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return scored.slice(0, limit).map((s) => s.name);
}
