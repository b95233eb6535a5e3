/**
 * Chat Completions answers for tool-loop tests, built from recorded transcripts: a tool
 * call shaped like DeepSeek's recorded completion (or Mistral's recorded stream), a text
 * answer shaped like OpenAI's recorded completion (or stream). Each answers in the form
 * the request asked for: a JSON body, or an SSE stream when it set `stream`.
 */
import type { UpstreamScript } from "./fake-upstream.js";
import { chatSseBytes, loadChunks, loadJson } from "./fixtures.js";

type Script = Exclude<UpstreamScript, { kind: "reply" }>;

interface RecordedCompletion {
  choices: { message: Record<string, unknown> & { tool_calls?: Record<string, unknown>[] } }[];
  usage: Record<string, unknown>;
}

type Chunk = { choices: { delta: Record<string, unknown>; finish_reason: string | null }[] } & Record<string, unknown>;

export interface ScriptedCall {
  name: string;
  /** An object (sent as its JSON) or raw argument text. */
  args: unknown;
  id?: string;
}

const streamed = (body: unknown) => (body as { stream?: boolean } | undefined)?.stream === true;
const argsText = (c: ScriptedCall) => (typeof c.args === "string" ? c.args : JSON.stringify(c.args));
const callId = (c: ScriptedCall, i: number) => c.id ?? `call_${i}_${c.name}`;
const chunksOf = (path: string) => loadChunks(path).map((line) => JSON.parse(line) as Chunk);

function toolCallJson(calls: readonly ScriptedCall[]): Script {
  const recorded = loadJson("deepseek/deepseek-tool-call.json") as RecordedCompletion;
  const choice = recorded.choices[0]!;
  const template = choice.message.tool_calls![0]!;
  const toolCalls = calls.map((c, i) => ({ ...template, index: i, id: callId(c, i), function: { name: c.name, arguments: argsText(c) } }));
  return { kind: "json", status: 200, body: { ...recorded, choices: [{ ...choice, message: { ...choice.message, tool_calls: toolCalls } }] } };
}

/** Mistral's recorded stream: a role chunk, then one chunk with every call, the finish and the usage. */
function toolCallSse(calls: readonly ScriptedCall[]): Script {
  const [role, last] = chunksOf("mistral/mistral-tool-call.chunks.txt") as [Chunk, Chunk];
  const delta = { ...last.choices[0]!.delta, tool_calls: calls.map((c, i) => ({ index: i, id: callId(c, i), function: { name: c.name, arguments: argsText(c) } })) };
  const payloads = [role, { ...last, choices: [{ ...last.choices[0]!, delta }] }].map((c) => JSON.stringify(c));
  return { kind: "sse", chunks: [chatSseBytes(payloads)] };
}

function textJson(text: string): Script {
  const recorded = loadJson("openai-chat/openai-text.json") as RecordedCompletion;
  const choice = recorded.choices[0]!;
  return { kind: "json", status: 200, body: { ...recorded, choices: [{ ...choice, message: { ...choice.message, content: text } }] } };
}

/** OpenAI's recorded stream: its role chunk, the text word by word in its content chunks, its finish and usage chunks. */
function textSse(text: string): Script {
  const chunks = chunksOf("openai-chat/openai-text.chunks.txt");
  const [role, content] = chunks as [Chunk, Chunk];
  const words = text.match(/\S+\s*/g) ?? [];
  const pieces = words.map((w) => ({ ...content, choices: [{ ...content.choices[0]!, delta: { content: w } }] }));
  return { kind: "sse", chunks: [chatSseBytes([role, ...pieces, ...chunks.slice(-2)].map((c) => JSON.stringify(c)))] };
}

/** A model that streams the start of `text`, then goes quiet with the connection open (a model still writing). */
export function textStall(text: string): UpstreamScript {
  const [role, content] = chunksOf("openai-chat/openai-text.chunks.txt") as [Chunk, Chunk];
  const pieces = (text.match(/\S+\s*/g) ?? []).map((w) => ({ ...content, choices: [{ ...content.choices[0]!, delta: { content: w } }] }));
  return { kind: "stall", chunks: [Buffer.from([role, ...pieces].map((c) => `data: ${JSON.stringify(c)}\n\n`).join(""))] };
}

/** A model asking for these calls. */
export function toolCallAnswer(calls: readonly ScriptedCall[]): UpstreamScript {
  return { kind: "reply", answer: (body) => (streamed(body) ? toolCallSse(calls) : toolCallJson(calls)) };
}

/** A model saying `text`. */
export function textAnswer(text: string): UpstreamScript {
  return { kind: "reply", answer: (body) => (streamed(body) ? textSse(text) : textJson(text)) };
}

interface SentMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
}

/** The tool messages of a Chat Completions request body the gateway sent upstream. */
export function toolMessages(body: unknown): SentMessage[] {
  return ((body as { messages?: SentMessage[] }).messages ?? []).filter((m) => m.role === "tool");
}

/** A model that reads the last tool result it was sent and answers with `say(result)`. */
export function answerFromToolResult(say: (result: string) => string): UpstreamScript {
  return {
    kind: "reply",
    answer: (body) => {
      const text = say(String(toolMessages(body).at(-1)?.content ?? ""));
      return streamed(body) ? textSse(text) : textJson(text);
    },
  };
}
