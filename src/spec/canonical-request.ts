import type { EmbeddingInput } from "./embedding.js";

/** The canonical request every inbound API is parsed into and every provider adapter reads. */

export type Role = "system" | "developer" | "user" | "assistant" | "tool";

export type ContentPart = { type: "text"; text: string } | { type: "image"; url: string; detail?: string } | { type: "other"; raw: unknown };

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, as models produce it. */
  arguments: string;
}

export interface Message {
  role: Role;
  content: string | ContentPart[] | null;
  name?: string;
  toolCalls?: ToolCall[];
  toolCallId?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean;
}

export type ToolChoice = "auto" | "none" | "required" | { name: string };

/**
 * What a function tool sent to a translating upstream stands for in the client's API:
 * a function inside a namespace (flattened to `<namespace>__<name>`), or a custom tool
 * (a function with one text argument, `input`). Calls are mapped back on the way out.
 */
export type ToolOrigin = { kind: "namespaced"; namespace: string; name: string } | { kind: "custom"; name: string; namespace?: string };

export type ResponseFormat = { type: "text" } | { type: "json_object" } | { type: "json_schema"; name: string; schema: Record<string, unknown>; strict?: boolean };

/** A wire format for generating text: what a client speaks, or what a provider serves. */
export type WireApi = "openai-chat" | "openai-responses" | "anthropic-messages" | "gemini" | "bedrock-converse";

/**
 * The wire format of an answer: a provider's, or "canonical" for an answer the gateway
 * built itself (its chunks carry events only, so every client format is translated).
 */
export type AnswerApi = WireApi | "canonical";

/** Which wire format the client spoke (OpenAI's and Gemini's embeddings APIs do not generate text). */
export type InboundApi = Exclude<WireApi, "bedrock-converse"> | "openai-embeddings" | "gemini-embeddings";

export interface CanonicalRequest {
  /** The model name the client asked for: a route name in the config. */
  model: string;
  messages: Message[];
  stream: boolean;
  /** The client asked for a usage chunk at the end of its stream. */
  includeUsage: boolean;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  n?: number;
  stop?: string[];
  seed?: number;
  tools?: ToolDefinition[];
  /**
   * The `tools` array as parsed from the client's body. A stage that changes the tools (a
   * tool loop's, a forced tool) replaces the array; while `tools` is still this one, a
   * same-format upstream of a rewritten request gets the client's own `tools` as sent.
   */
  toolsAsParsed?: { tools: ToolDefinition[] | undefined };
  /** By the name a translating upstream sees: the tools that are not plain functions in the client's API. */
  toolOrigins?: Record<string, ToolOrigin>;
  /**
   * What only the client API's own provider can run: built-in tools (web search, code
   * execution, MCP, ...) and features such as context management. A same-format upstream
   * gets them as sent; a translating one cannot, and the route refuses or drops them.
   */
  providerOnly?: string[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  /** Fields of the inbound API that no canonical field carries and the target lacks; see docs/api.md. */
  dropped?: string[];
  /** The application's end user as the inbound API names it (e.g. Messages' `metadata.user_id`), for attribution. */
  endUser?: string;
  /**
   * The gateway changed what the client asked (a pinned system prompt, a repair turn, a forced
   * tool, a tool loop's step): a same-format upstream then gets a body built from these fields, plus the client's
   * fields that none of them carries (`dropped`), instead of the inbound body as sent.
   */
  rewritten?: boolean;
  /** The inbound API and body as received, for a same-format upstream to forward unknown fields exactly. */
  inbound: {
    api: InboundApi;
    body: Record<string, unknown>;
    /** Request headers and the query string a same-format upstream gets as sent (Anthropic's `anthropic-beta`, `?beta=true`). */
    forward?: { headers: Record<string, string>; query?: string };
  };
  /**
   * What upstream idempotency keys derive from: the client's scoped Idempotency-Key (hashed),
   * else the request id (parseRequest fills it in). Sent only to upstreams configured with a header.
   */
  idempotencyKey?: string;
  /** Set for an embeddings request: then `messages` is empty, `stream` false, and the adapter's buildEmbeddingRequest serves it. */
  embedding?: EmbeddingInput;
}
