/**
 * The cross-format matrix's building blocks: every upstream kind Tollgate speaks to, the
 * recordings each one replays, and readers for every wire format that extract text,
 * reasoning, tool calls, the finish reason and usage from a stream's payloads or a body.
 * The readers work from the JSON alone (never through the code under test), so one
 * reader serves both sides: what a recording says, and what a client received.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { expectedFromAnthropicChunks, expectedFromAnthropicResponse, expectedUsageFromAnthropic } from "./anthropic-expected.js";
import { converseStreamBytes, expectedFromConverseBody, expectedFromConverseStream, type ExpectedConverse } from "./bedrock-fixtures.js";
import { FakeAws, FakeGoogle, gates } from "./fake-clouds.js";
import { createFakeUpstream, type FakeUpstream, type UpstreamScript } from "./fake-upstream.js";
import { chatSseBytes, expectedFromChatChunks, expectedFromChatResponse, loadChunks, loadText, namedEventSseBytes, splitAtRandomOffsets, type ExpectedUsage, type Rng } from "./fixtures.js";
import { expectedFromGemini, geminiSseBytes } from "./gemini-fixtures.js";
import { expectedFromResponsesChunks, expectedUsageFromResponses, splitResponsesStreams } from "./responses-fixtures.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** The three generating APIs a client can speak to Tollgate. */
export type InboundApi = "chat" | "responses" | "messages";
/** The wire formats upstreams speak: the three above, Gemini's, and Bedrock's Converse. */
export type WireFormat = InboundApi | "gemini" | "converse";
export type Finish = "stop" | "length" | "tool_calls" | "content_filter" | "other";

export const INBOUND: Record<InboundApi, { path: string; label: string; ledgerApi: string }> = {
  chat: { path: "/v1/chat/completions", label: "Chat Completions", ledgerApi: "openai-chat" },
  responses: { path: "/v1/responses", label: "Responses", ledgerApi: "openai-responses" },
  messages: { path: "/v1/messages", label: "Anthropic Messages", ledgerApi: "anthropic-messages" },
};

// ---------------------------------------------------------------------------
// Reading a wire format
// ---------------------------------------------------------------------------

interface ToolCallReading {
  id: string;
  name: string;
  /** The arguments parsed (Messages carries them as an object, the others as JSON text). */
  args: unknown;
}

export interface Reading {
  text: string;
  reasoning: string;
  toolCalls: ToolCallReading[];
  /** The finish as the format says it: a finish_reason, a stop_reason, a Responses status ("incomplete:<reason>"), a Gemini finishReason. */
  finishWire: string | null;
  /** The same in canonical terms. */
  finish: Finish | null;
  /** The usage in canonical terms, read the way each format defines its figures. */
  usage: ExpectedUsage | null;
  /** The usage object as the format carries it (Messages stream: message_delta's). */
  rawUsage: Json | null;
}

const argsOf = (text: string): unknown => JSON.parse(text === "" ? "{}" : text);

function chatFinish(wire: string | null): Finish | null {
  if (wire === null) return null;
  return wire === "stop" || wire === "length" || wire === "tool_calls" || wire === "content_filter" ? wire : "other";
}

function messagesFinish(wire: string | null): Finish | null {
  switch (wire) {
    case null:
      return null;
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return "other";
  }
}

function responsesFinish(response: Json, calls: number): { wire: string; finish: Finish } {
  const status = String(response.status);
  if (status === "completed") return { wire: "completed", finish: calls > 0 ? "tool_calls" : "stop" };
  const why = isObject(response.incomplete_details) ? String(response.incomplete_details.reason) : "";
  return { wire: `${status}:${why}`, finish: why === "max_output_tokens" ? "length" : why === "content_filter" ? "content_filter" : "other" };
}

function geminiFinish(wire: string | null, calls: number): Finish | null {
  if (wire === null) return null;
  if (wire === "STOP") return calls > 0 ? "tool_calls" : "stop";
  if (wire === "MAX_TOKENS") return "length";
  return wire === "SAFETY" || wire === "RECITATION" || wire === "PROHIBITED_CONTENT" ? "content_filter" : "other";
}

/** A Chat Completions stream's payloads (without [DONE]). */
function readChatStream(payloads: string[]): Reading {
  const e = expectedFromChatChunks(payloads);
  const c = e.choices[0];
  return {
    text: c?.text ?? "",
    reasoning: c?.reasoning ?? "",
    toolCalls: (c?.toolCalls ?? []).map((t) => ({ id: t.id, name: t.name, args: argsOf(t.arguments) })),
    finishWire: c?.finishReason ?? null,
    finish: chatFinish(c?.finishReason ?? null),
    usage: e.usage,
    rawUsage: e.rawUsage,
  };
}

function readChatBody(body: unknown): Reading {
  const e = expectedFromChatResponse(body);
  const c = e.choices[0];
  return {
    text: c?.text ?? "",
    reasoning: c?.reasoning ?? "",
    toolCalls: (c?.toolCalls ?? []).map((t) => ({ id: t.id, name: t.name, args: argsOf(t.arguments) })),
    finishWire: c?.finishReason ?? null,
    finish: chatFinish(c?.finishReason ?? null),
    usage: e.usage,
    rawUsage: isObject(body) && isObject(body.usage) ? body.usage : null,
  };
}

function readResponsesStream(payloads: string[]): Reading {
  const e = expectedFromResponsesChunks(payloads);
  if (e.error !== null || e.malformed) throw new Error(`Responses stream failed: ${e.error ?? "malformed payload"}`);
  const terminal = e.last >= 0 ? (JSON.parse(payloads[e.last]!) as Json) : {};
  const response = isObject(terminal.response) ? terminal.response : {};
  const finish = e.last >= 0 ? responsesFinish(response, e.toolCalls.length) : null;
  return {
    text: e.text,
    reasoning: e.reasoning,
    toolCalls: e.toolCalls.map((t) => ({ id: t.id, name: t.name, args: argsOf(t.arguments) })),
    finishWire: finish?.wire ?? null,
    finish: finish?.finish ?? null,
    usage: e.usage,
    rawUsage: isObject(response.usage) ? response.usage : null,
  };
}

function readResponsesBody(body: unknown): Reading {
  if (!isObject(body) || !Array.isArray(body.output)) throw new Error("Not a Responses body.");
  let text = "";
  const reasoning: string[] = [];
  const toolCalls: ToolCallReading[] = [];
  for (const item of body.output as Json[]) {
    if (item.type === "message") for (const part of item.content as Json[]) if (part.type === "output_text") text += String(part.text);
    if (item.type === "reasoning") for (const part of item.summary as Json[]) reasoning.push(String(part.text));
    if (item.type === "function_call") toolCalls.push({ id: String(item.call_id), name: String(item.name), args: argsOf(String(item.arguments)) });
  }
  const finish = responsesFinish(body, toolCalls.length);
  return {
    text,
    reasoning: reasoning.join("\n\n"),
    toolCalls,
    finishWire: finish.wire,
    finish: finish.finish,
    usage: isObject(body.usage) ? expectedUsageFromResponses(body.usage) : null,
    rawUsage: isObject(body.usage) ? body.usage : null,
  };
}

function readMessagesStream(payloads: string[]): Reading {
  const e = expectedFromAnthropicChunks(payloads);
  const c = e.choices[0]!;
  let rawUsage: Json | null = null;
  for (const p of payloads) {
    const event = JSON.parse(p) as Json;
    if (event.type === "message_delta" && isObject(event.usage)) rawUsage = event.usage;
  }
  return {
    text: c.text,
    reasoning: c.reasoning,
    toolCalls: c.toolCalls.map((t) => ({ id: t.id, name: t.name, args: argsOf(t.arguments) })),
    finishWire: c.finishReason,
    finish: messagesFinish(c.finishReason),
    usage: e.usage,
    rawUsage,
  };
}

function readMessagesBody(body: unknown): Reading {
  const e = expectedFromAnthropicResponse(body);
  return {
    text: e.text ?? "",
    reasoning: e.reasoning ?? "",
    toolCalls: (e.toolCalls ?? []).map((t) => ({ id: t.id, name: t.name, args: argsOf(t.arguments) })),
    finishWire: e.stopReason,
    finish: messagesFinish(e.stopReason),
    usage: isObject(body) && isObject(body.usage) ? expectedUsageFromAnthropic(body.usage) : null,
    rawUsage: isObject(body) && isObject(body.usage) ? body.usage : null,
  };
}

function readGemini(objects: unknown[]): Reading {
  const e = expectedFromGemini(objects);
  const c = e.candidates[0];
  const calls = c?.calls ?? [];
  let rawUsage: Json | null = null;
  for (const o of objects) if (isObject(o) && isObject(o.usageMetadata)) rawUsage = o.usageMetadata;
  return {
    text: c?.text ?? "",
    reasoning: c?.reasoning ?? "",
    // Gemini's calls carry no id: Tollgate names them.
    toolCalls: calls.map((t) => ({ id: "", name: t.name, args: argsOf(t.arguments) })),
    finishWire: c?.finishReason ?? null,
    finish: geminiFinish(c?.finishReason ?? null, calls.length),
    usage: e.usage,
    rawUsage,
  };
}

function converseFinish(wire: string | null): Finish | null {
  switch (wire) {
    case null:
      return null;
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "guardrail_intervened":
    case "content_filtered":
      return "content_filter";
    default:
      return "other";
  }
}

function readConverse(e: ExpectedConverse): Reading {
  return {
    text: e.text,
    reasoning: e.reasoning,
    toolCalls: e.toolCalls.map((t) => ({ id: t.id, name: t.name, args: argsOf(t.arguments) })),
    finishWire: e.stopReason,
    finish: converseFinish(e.stopReason),
    usage: e.usage,
    rawUsage: e.rawUsage,
  };
}

/** Asserts that what a client read carries the text, reasoning and tool calls (names and arguments) expected. */
export function expectSameContent(got: Reading, expected: Reading, context: string): void {
  expect(got.text, context).toBe(expected.text);
  expect(got.reasoning, context).toBe(expected.reasoning);
  expect(
    got.toolCalls.map(({ name, args }) => ({ name, args })),
    context,
  ).toEqual(expected.toolCalls.map(({ name, args }) => ({ name, args })));
}

/** Reads a stream (its `data` payloads, without a trailing [DONE]) or a parsed body in the given format. */
export function read(format: WireFormat, stream: boolean, data: string[] | unknown): Reading {
  if (stream) {
    const payloads = data as string[];
    switch (format) {
      case "chat":
        return readChatStream(payloads);
      case "responses":
        return readResponsesStream(payloads);
      case "messages":
        return readMessagesStream(payloads);
      case "gemini":
        return readGemini(payloads.map((p) => JSON.parse(p) as unknown));
      case "converse":
        return readConverse(expectedFromConverseStream(payloads));
    }
  }
  switch (format) {
    case "chat":
      return readChatBody(data);
    case "responses":
      return readResponsesBody(data);
    case "messages":
      return readMessagesBody(data);
    case "gemini":
      return readGemini([data]);
    case "converse":
      return readConverse(expectedFromConverseBody(data));
  }
}

// ---------------------------------------------------------------------------
// What each inbound API says for a canonical finish and usage
// ---------------------------------------------------------------------------

/** A canonical finish in the inbound API's vocabulary (as `read` reports `finishWire`). */
export function finishIn(api: InboundApi, finish: Finish): string {
  switch (api) {
    case "chat":
      // Chat Completions has no "other": such an answer simply stopped.
      return finish === "other" ? "stop" : finish;
    case "responses":
      // A function call is told by its output item; the status says whether the answer was cut.
      if (finish === "length") return "incomplete:max_output_tokens";
      if (finish === "content_filter") return "incomplete:content_filter";
      return "completed";
    case "messages":
      return { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use", content_filter: "refusal", other: "end_turn" }[finish];
  }
}

/** Canonical usage as the inbound API's usage object. */
export function usageIn(api: InboundApi, u: ExpectedUsage): Json {
  switch (api) {
    case "chat":
      return {
        prompt_tokens: u.inputTokens,
        completion_tokens: u.outputTokens,
        total_tokens: u.inputTokens + u.outputTokens,
        prompt_tokens_details: { cached_tokens: u.cachedInputTokens },
        completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
      };
    case "responses":
      return {
        input_tokens: u.inputTokens,
        input_tokens_details: { cached_tokens: u.cachedInputTokens, cache_write_tokens: u.cacheWriteTokens },
        output_tokens: u.outputTokens,
        output_tokens_details: { reasoning_tokens: u.reasoningTokens },
        total_tokens: u.inputTokens + u.outputTokens,
      };
    case "messages":
      // Anthropic's input_tokens leaves out the cache reads and writes, which have their own fields.
      return {
        input_tokens: u.inputTokens - u.cachedInputTokens - u.cacheWriteTokens,
        cache_creation_input_tokens: u.cacheWriteTokens,
        cache_read_input_tokens: u.cachedInputTokens,
        output_tokens: u.outputTokens,
      };
  }
}

// ---------------------------------------------------------------------------
// Upstream kinds and their recordings
// ---------------------------------------------------------------------------

export interface Recording {
  /** Where it comes from (relative to the recordings folder), with a #turn for one stream of several. */
  source: string;
  stream: boolean;
  /** Stream payloads, or the body's text. */
  payloads?: string[];
  body?: string;
  /** Set when the recording is another provider's in the same wire format (this kind has none of its own). */
  borrowed?: string;
}

/**
 * text and tool for every kind; reasoning where a provider has a dedicated recording of it
 * (others carry reasoning in their text or tool recordings); refusal (a content filter's
 * finish, no content at all) where one was recorded.
 */
export type RecordingKind = "text" | "tool" | "reasoning" | "refusal";

export interface UpstreamKind {
  id: string;
  /** The provider's `type` (and api/preset) as configured. */
  label: string;
  wire: WireFormat;
  model: string;
  provider(up: MatrixUpstream): ConfigInput["providers"][string];
  /** The path the upstream must be called on. */
  path(stream: boolean): string;
  /** The header carrying the upstream key, and its value; or the fake cloud that checked the request's signature or token. */
  auth: [string, string] | { checkedBy: FakeAws | FakeGoogle };
  /** False for an upstream that takes images only inline (Bedrock fetches no URLs). */
  imageUrls?: false;
  recordings: Partial<Record<RecordingKind, { stream?: Recording; body?: Recording }>> & Record<"text" | "tool", { stream?: Recording; body?: Recording }>;
}

/** What a kind's provider config may point at: the fake upstream, and the fake clouds' credentials. */
export interface MatrixUpstream {
  url: string;
  origin: string;
  /** A service-account key file for the fake Google token endpoint (createCloudUpstream writes one). */
  googleKeyFile?: string;
}

export const UPSTREAM_KEY = "sk-upstream-matrix-key-0123456789";

/** The clouds' checks, run by the matrix's fake upstream as its gate: every Bedrock request's SigV4, every Vertex request's token. */
const MATRIX_AWS = new FakeAws("us-east-1", "/bedrock/");
const MATRIX_GOOGLE = new FakeGoogle("/vertex/");
/** The AWS key the matrix's Bedrock provider finds in the environment (the chain's first link). */
const MATRIX_AWS_KEY = { AWS_ACCESS_KEY_ID: "AKIAMATRIX0000000001", AWS_SECRET_ACCESS_KEY: "matrix-secret-key-0123456789abcdefghij", AWS_SESSION_TOKEN: "matrix-session-token" };
MATRIX_AWS.addKey(MATRIX_AWS_KEY.AWS_ACCESS_KEY_ID, MATRIX_AWS_KEY.AWS_SECRET_ACCESS_KEY, MATRIX_AWS_KEY.AWS_SESSION_TOKEN);
const BEDROCK_MODEL = "us.amazon.nova-pro-v1:0";
const VERTEX_MODEL = "gemini-3-flash-preview";
const GOOGLE_MODEL = "gemini-3-pro-preview";
const AZURE_DEPLOYMENT = "router-deployment";

const agentTurns = splitResponsesStreams(loadChunks("openai-responses/openai-reasoning-encrypted-content.1.chunks.txt"));

const chunks = (source: string, borrowed?: string): Recording => ({ source, stream: true, payloads: loadChunks(source), ...(borrowed ? { borrowed } : {}) });
const body = (source: string, borrowed?: string): Recording => ({ source, stream: false, body: loadText(source), ...(borrowed ? { borrowed } : {}) });

const chatPath = () => "/v1/chat/completions";

export const UPSTREAMS: UpstreamKind[] = [
  {
    id: "openai",
    label: "openai (Chat Completions)",
    wire: "chat",
    model: "gpt-4.1-nano",
    provider: (up) => ({ type: "openai", baseURL: up.url, apiKey: "env:UP_KEY" }),
    path: chatPath,
    auth: ["authorization", `Bearer ${UPSTREAM_KEY}`],
    recordings: {
      text: { stream: chunks("openai-chat/openai-text.chunks.txt"), body: body("openai-chat/openai-text.json") },
      // openai-chat/ holds no tool-call recording: DeepSeek's, the same Chat Completions format.
      tool: {
        stream: chunks("deepseek/deepseek-tool-call.chunks.txt", "openai-chat/ has no tool-call recording"),
        body: body("deepseek/deepseek-tool-call.json", "openai-chat/ has no tool-call recording"),
      },
    },
  },
  {
    id: "openai-responses",
    label: "openai (api: responses)",
    wire: "responses",
    model: "gpt-5.1-codex-max",
    provider: (up) => ({ type: "openai", api: "responses", baseURL: up.url, apiKey: "env:UP_KEY" }),
    path: () => "/v1/responses",
    auth: ["authorization", `Bearer ${UPSTREAM_KEY}`],
    recordings: {
      // The agent run's last turn answers in text (after a reasoning summary in the body).
      text: {
        stream: { source: "openai-responses/openai-reasoning-encrypted-content.1.chunks.txt#turn3", stream: true, payloads: agentTurns[3]! },
        body: body("openai-responses/openai-reasoning-encrypted-content.1.json"),
      },
      // Its first turn reasons, then calls the calculator.
      tool: {
        stream: { source: "openai-responses/openai-reasoning-encrypted-content.1.chunks.txt#turn0", stream: true, payloads: agentTurns[0]! },
        body: body("openai-responses/parallel-tool-call-wrapper.1.json"),
      },
    },
  },
  {
    id: "deepseek",
    label: "openai-compatible (preset deepseek)",
    wire: "chat",
    model: "deepseek-chat",
    provider: (up) => ({ type: "openai-compatible", preset: "deepseek", baseURL: up.url, apiKey: "env:UP_KEY" }),
    path: chatPath,
    auth: ["authorization", `Bearer ${UPSTREAM_KEY}`],
    recordings: {
      text: { stream: chunks("deepseek/deepseek-text.chunks.txt"), body: body("deepseek/deepseek-text.json") },
      tool: { stream: chunks("deepseek/deepseek-tool-call.chunks.txt"), body: body("deepseek/deepseek-tool-call.json") },
      reasoning: { stream: chunks("deepseek/deepseek-reasoning.chunks.txt"), body: body("deepseek/deepseek-reasoning.json") },
    },
  },
  {
    id: "mistral",
    label: "openai-compatible (preset mistral)",
    wire: "chat",
    model: "mistral-small-latest",
    provider: (up) => ({ type: "openai-compatible", preset: "mistral", baseURL: up.url, apiKey: "env:UP_KEY" }),
    path: chatPath,
    auth: ["authorization", `Bearer ${UPSTREAM_KEY}`],
    recordings: {
      text: { stream: chunks("mistral/mistral-text.chunks.txt"), body: body("mistral/mistral-text.json") },
      tool: { stream: chunks("mistral/mistral-tool-call.chunks.txt"), body: body("mistral/mistral-tool-call.json") },
    },
  },
  {
    id: "xai",
    label: "openai-compatible (preset xai)",
    wire: "chat",
    model: "grok-3-mini",
    provider: (up) => ({ type: "openai-compatible", preset: "xai", baseURL: up.url, apiKey: "env:UP_KEY" }),
    path: chatPath,
    auth: ["authorization", `Bearer ${UPSTREAM_KEY}`],
    recordings: {
      // No non-streamed xAI text recording exists (openai-compatible/ has xai-text.chunks.txt only).
      text: { stream: chunks("openai-compatible/xai-text.chunks.txt") },
      tool: { stream: chunks("openai-compatible/xai-tool-call.chunks.txt"), body: body("openai-compatible/xai-tool-call.json") },
    },
  },
  {
    id: "anthropic",
    label: "anthropic",
    wire: "messages",
    model: "claude-haiku-4-5",
    provider: (up) => ({ type: "anthropic", baseURL: up.url, apiKey: "env:UP_KEY" }),
    path: () => "/v1/messages",
    auth: ["x-api-key", UPSTREAM_KEY],
    recordings: {
      text: { stream: chunks("anthropic/anthropic-text.chunks.txt"), body: body("anthropic/anthropic-text.json") },
      tool: { stream: chunks("anthropic/anthropic-json-tool.1.chunks.txt"), body: body("anthropic/anthropic-json-tool.1.json") },
      reasoning: { stream: chunks("anthropic/anthropic-clear-thinking.1.chunks.txt"), body: body("anthropic/anthropic-clear-thinking.1.json") },
      refusal: { stream: chunks("anthropic/anthropic-refusal.chunks.txt"), body: body("anthropic/anthropic-refusal.json") },
    },
  },
  {
    id: "google",
    label: "google (Gemini)",
    wire: "gemini",
    model: GOOGLE_MODEL,
    provider: (up) => ({ type: "google", baseURL: `${up.origin}/v1beta`, apiKey: "env:UP_KEY" }),
    path: (stream) => `/v1beta/models/${GOOGLE_MODEL}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`,
    auth: ["x-goog-api-key", UPSTREAM_KEY],
    recordings: {
      text: { stream: chunks("google/google-text.chunks.txt"), body: body("google/google-text.json") },
      tool: { stream: chunks("google/google-tool-call.chunks.txt"), body: body("google/google-tool-call.json") },
    },
  },
  {
    id: "azure",
    label: "azure-openai",
    wire: "chat",
    model: "gpt-5-nano",
    provider: (up) => ({ type: "azure-openai", endpoint: up.origin, apiKey: "env:UP_KEY", deployments: { "gpt-5-nano": AZURE_DEPLOYMENT } }),
    path: () => `/openai/deployments/${AZURE_DEPLOYMENT}/chat/completions?api-version=2024-10-21`,
    auth: ["api-key", UPSTREAM_KEY],
    recordings: {
      // Recorded from Azure (model router): a content-filter preamble chunk, reasoning tokens in the usage.
      text: { stream: chunks("openai-chat/azure-model-router.1.chunks.txt"), body: body("openai-chat/openai-text.json", "no Azure body recording") },
      tool: { stream: chunks("openai-compatible/xai-tool-call.chunks.txt", "no Azure tool-call recording"), body: body("openai-compatible/xai-tool-call.json", "no Azure tool-call recording") },
    },
  },
];

/**
 * The clouds: their requests are checked by the fake upstream's gate (createCloudUpstream),
 * so only a test that starts one includes them.
 */
export const CLOUD_UPSTREAMS: UpstreamKind[] = [
  {
    id: "bedrock",
    label: "bedrock (Converse)",
    wire: "converse",
    model: BEDROCK_MODEL,
    provider: (up) => ({ type: "bedrock", region: "us-east-1", baseURL: `${up.origin}/bedrock` }),
    path: (stream) => `/bedrock/model/${encodeURIComponent(BEDROCK_MODEL)}/${stream ? "converse-stream" : "converse"}`,
    auth: { checkedBy: MATRIX_AWS },
    imageUrls: false,
    recordings: {
      text: { stream: chunks("amazon-bedrock/amazon-bedrock-text.chunks.txt"), body: body("amazon-bedrock/amazon-bedrock-text.json") },
      tool: { stream: chunks("amazon-bedrock/amazon-bedrock-tool-call.1.chunks.txt"), body: body("amazon-bedrock/amazon-bedrock-tool-call.1.json") },
    },
  },
  {
    id: "vertex",
    label: "vertex (Gemini)",
    wire: "gemini",
    model: VERTEX_MODEL,
    provider: (up) => {
      if (!up.googleKeyFile) throw new Error("The vertex kind needs createCloudUpstream's key file.");
      return { type: "vertex", project: "matrix-proj", location: "global", baseURL: `${up.origin}/vertex/v1`, keyFile: up.googleKeyFile, tokenURL: `${up.origin}${MATRIX_GOOGLE.tokenPath}` };
    },
    path: (stream) => `/vertex/v1/projects/matrix-proj/locations/global/publishers/google/models/${VERTEX_MODEL}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`,
    auth: { checkedBy: MATRIX_GOOGLE },
    recordings: {
      text: { stream: chunks("google/google-text.chunks.txt"), body: body("google/google-text.json") },
      // Gemini 3 streams this call's arguments in pieces (Vertex, streamFunctionCallArguments); its body is another Gemini 3 call.
      tool: { stream: chunks("google/google-stream-tool-call-array-arguments-missing-terminal-function-call.chunks.txt"), body: body("google/google-tool-call-gemini3.json") },
      reasoning: { stream: chunks("google/google-reasoning-gemini3.chunks.txt"), body: body("google/google-reasoning-gemini3.json") },
    },
  },
];

/**
 * A fake upstream that also plays the clouds: Bedrock's SigV4 check and Vertex's token
 * check with its token endpoint; the AWS key in the environment (the chain's first link)
 * and a service-account key file in a temporary folder (removed by `cleanup`).
 */
export async function createCloudUpstream(): Promise<FakeUpstream & MatrixUpstream & { googleKeyFile: string; cleanup(): void }> {
  const upstream = await createFakeUpstream({ gate: gates(MATRIX_AWS.gate, MATRIX_GOOGLE.gate) });
  const dir = mkdtempSync(path.join(tmpdir(), "tollgate-matrix-"));
  const googleKeyFile = path.join(dir, "service-account.json");
  writeFileSync(googleKeyFile, MATRIX_GOOGLE.keyFileJson);
  const saved = Object.fromEntries(Object.keys(MATRIX_AWS_KEY).map((k) => [k, process.env[k]]));
  Object.assign(process.env, MATRIX_AWS_KEY);
  return Object.assign(upstream, {
    googleKeyFile,
    cleanup() {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** The stream bytes a provider of this wire format sends for these payloads (Bedrock's are binary event-stream messages). */
function sseBytes(wire: WireFormat, payloads: readonly string[]): Buffer {
  switch (wire) {
    case "chat":
      return chatSseBytes(payloads);
    case "gemini":
      return geminiSseBytes(payloads);
    case "converse":
      return converseStreamBytes(payloads);
    default:
      return namedEventSseBytes(payloads);
  }
}

/** The fake upstream's answer replaying a recording (streams split at random byte offsets). */
export function replay(wire: WireFormat, recording: Recording, rng?: Rng): UpstreamScript {
  if (!recording.stream) return { kind: "status", status: 200, body: recording.body!, headers: { "content-type": "application/json" } };
  const bytes = sseBytes(wire, recording.payloads!);
  const chunks = rng ? splitAtRandomOffsets(bytes, rng, 24) : [bytes];
  return wire === "converse" ? { kind: "sse", chunks, headers: { "content-type": "application/vnd.amazon.eventstream" } } : { kind: "sse", chunks };
}

/** What the recording says, read in its own format. */
export function readRecording(wire: WireFormat, recording: Recording): Reading {
  return read(wire, recording.stream, recording.stream ? recording.payloads! : JSON.parse(recording.body!));
}
