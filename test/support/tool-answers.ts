/**
 * Chat Completions answers for tool-loop tests, built from recorded transcripts: a tool
 * call shaped like DeepSeek's recorded one, a text answer shaped like OpenAI's.
 */
import type { UpstreamScript } from "./fake-upstream.js";
import { loadJson } from "./fixtures.js";

type JsonScript = Extract<UpstreamScript, { kind: "json" }>;

interface RecordedCompletion {
  choices: { message: Record<string, unknown> & { tool_calls?: Record<string, unknown>[] } }[];
  usage: Record<string, unknown>;
}

export interface ScriptedCall {
  name: string;
  /** An object (sent as its JSON) or raw argument text. */
  args: unknown;
  id?: string;
}

/** A recorded tool-call completion, answering with these calls instead. */
export function toolCallAnswer(calls: readonly ScriptedCall[]): JsonScript {
  const recorded = loadJson("deepseek/deepseek-tool-call.json") as RecordedCompletion;
  const choice = recorded.choices[0]!;
  const template = choice.message.tool_calls![0]!;
  const toolCalls = calls.map((c, i) => ({
    ...template,
    index: i,
    id: c.id ?? `call_${i}_${c.name}`,
    function: { name: c.name, arguments: typeof c.args === "string" ? c.args : JSON.stringify(c.args) },
  }));
  return { kind: "json", status: 200, body: { ...recorded, choices: [{ ...choice, message: { ...choice.message, tool_calls: toolCalls } }] } };
}

/** A recorded text completion, saying `text` instead. */
export function textAnswer(text: string): JsonScript {
  const recorded = loadJson("openai-chat/openai-text.json") as RecordedCompletion;
  const choice = recorded.choices[0]!;
  return { kind: "json", status: 200, body: { ...recorded, choices: [{ ...choice, message: { ...choice.message, content: text } }] } };
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
  return { kind: "reply", answer: (body) => textAnswer(say(String(toolMessages(body).at(-1)?.content ?? ""))) };
}
