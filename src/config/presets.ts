import type { compatiblePresets } from "./schema.js";

export interface CompatiblePreset {
  baseURL: string;
  /** Accepts stream_options.include_usage; those that do not send usage on their own. */
  streamUsageOption: boolean;
}

export const COMPATIBLE_PRESETS: Record<(typeof compatiblePresets)[number], CompatiblePreset> = {
  deepseek: { baseURL: "https://api.deepseek.com/v1", streamUsageOption: true },
  mistral: { baseURL: "https://api.mistral.ai/v1", streamUsageOption: false },
  xai: { baseURL: "https://api.x.ai/v1", streamUsageOption: true },
  groq: { baseURL: "https://api.groq.com/openai/v1", streamUsageOption: true },
  together: { baseURL: "https://api.together.xyz/v1", streamUsageOption: true },
  ollama: { baseURL: "http://127.0.0.1:11434/v1", streamUsageOption: true },
  vllm: { baseURL: "http://127.0.0.1:8000/v1", streamUsageOption: true },
  llamacpp: { baseURL: "http://127.0.0.1:8080/v1", streamUsageOption: true },
};
