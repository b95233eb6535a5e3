import type { FinishReason } from "./stream-events.js";
import type { ToolCall } from "./canonical-request.js";
import type { Usage } from "./usage.js";

export interface ResponseChoice {
  index: number;
  text: string | null;
  reasoning?: string;
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
}

/** A complete (non-streamed) answer in canonical form. */
export interface CanonicalResponse {
  id: string;
  model: string;
  created: number;
  choices: ResponseChoice[];
  usage?: Usage;
}
