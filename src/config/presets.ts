import type { compatiblePresets } from "./schema.js";

export interface CompatiblePreset {
  baseURL: string;
  /** Accepts stream_options.include_usage; those that do not send usage on their own. */
  streamUsageOption: boolean;
  /** Takes `response_format: {type: "json_schema"}`; without it, structured output uses JSON mode and an instruction. */
  jsonSchema: boolean;
}

export const COMPATIBLE_PRESETS: Record<(typeof compatiblePresets)[number], CompatiblePreset> = {
  deepseek: { baseURL: "https://api.deepseek.com/v1", streamUsageOption: true, jsonSchema: false },
  mistral: { baseURL: "https://api.mistral.ai/v1", streamUsageOption: false, jsonSchema: true },
  xai: { baseURL: "https://api.x.ai/v1", streamUsageOption: true, jsonSchema: true },
  groq: { baseURL: "https://api.groq.com/openai/v1", streamUsageOption: true, jsonSchema: true },
  together: { baseURL: "https://api.together.xyz/v1", streamUsageOption: true, jsonSchema: true },
  ollama: { baseURL: "http://127.0.0.1:11434/v1", streamUsageOption: true, jsonSchema: true },
  vllm: { baseURL: "http://127.0.0.1:8000/v1", streamUsageOption: true, jsonSchema: true },
  llamacpp: { baseURL: "http://127.0.0.1:8080/v1", streamUsageOption: true, jsonSchema: true },
};
