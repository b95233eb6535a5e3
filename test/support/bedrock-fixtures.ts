/**
 * Bedrock recordings (test/fixtures/recorded/amazon-bedrock): rebuilding their binary
 * event-stream framing with a real encoder (`@smithy/eventstream-codec`, as the README
 * says), and computing from the JSON alone what a correct parser must extract.
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const num = (v: unknown) => (typeof v === "number" ? v : 0);

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One event-stream message as Bedrock frames an event. */
export function eventMessage(eventType: string, payload: unknown): Buffer {
  return Buffer.from(
    codec.encode({
      headers: { ":event-type": { type: "string", value: eventType }, ":content-type": { type: "string", value: "application/json" }, ":message-type": { type: "string", value: "event" } },
      body: fromUtf8(JSON.stringify(payload)),
    }),
  );
}

/** One event-stream message as Bedrock frames an exception inside a stream. */
export function exceptionMessage(exceptionType: string, message: string): Buffer {
  return Buffer.from(
    codec.encode({
      headers: { ":exception-type": { type: "string", value: exceptionType }, ":content-type": { type: "string", value: "application/json" }, ":message-type": { type: "string", value: "exception" } },
      body: fromUtf8(JSON.stringify({ message })),
    }),
  );
}

/**
 * A ConverseStream body from a recording: each line is `{"<eventType>": payload}` (the
 * recorder's flattening), sent as a message named by `:event-type` carrying the payload.
 */
export function converseStreamBytes(lines: readonly string[]): Buffer {
  return Buffer.concat(
    lines.map((line) => {
      const [entry, ...rest] = Object.entries(JSON.parse(line) as Json);
      if (!entry || rest.length > 0) throw new Error(`A ConverseStream line holds one event: ${line.slice(0, 80)}`);
      return eventMessage(entry[0], entry[1]);
    }),
  );
}

/** An InvokeModelWithResponseStream body for Claude: each Anthropic event in a `chunk` message as base64 JSON. */
export function invokeStreamBytes(anthropicPayloads: readonly string[]): Buffer {
  return Buffer.concat(anthropicPayloads.map((p) => eventMessage("chunk", { bytes: Buffer.from(p, "utf8").toString("base64") })));
}

export interface ExpectedConverse {
  text: string;
  reasoning: string;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  stopReason: string | null;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number; cacheWriteTokens: number; reasoningTokens: number; source: "reported" } | null;
  rawUsage: Json | null;
}

/** Converse usage in canonical form: Bedrock's inputTokens leave out the cache reads and writes, canonical input holds them. */
function expectedUsageFromConverse(u: Json): NonNullable<ExpectedConverse["usage"]> {
  const read = num(u.cacheReadInputTokens);
  const write = num(u.cacheWriteInputTokens);
  return { inputTokens: num(u.inputTokens) + read + write, outputTokens: num(u.outputTokens), cachedInputTokens: read, cacheWriteTokens: write, reasoningTokens: 0, source: "reported" };
}

/** What a ConverseStream recording says: text, reasoning, tool calls (a call without input has `{}`), the stop reason, the metadata's usage. */
export function expectedFromConverseStream(lines: readonly string[]): ExpectedConverse {
  const out: ExpectedConverse = { text: "", reasoning: "", toolCalls: [], stopReason: null, usage: null, rawUsage: null };
  const byBlock = new Map<number, { id: string; name: string; arguments: string }>();
  for (const line of lines) {
    const event = JSON.parse(line) as Json;
    if (isObject(event.contentBlockStart) && isObject(event.contentBlockStart.start) && isObject(event.contentBlockStart.start.toolUse)) {
      const use = event.contentBlockStart.start.toolUse;
      const call = { id: String(use.toolUseId), name: String(use.name), arguments: "" };
      byBlock.set(num(event.contentBlockStart.contentBlockIndex), call);
      out.toolCalls.push(call);
    }
    if (isObject(event.contentBlockDelta) && isObject(event.contentBlockDelta.delta)) {
      const delta = event.contentBlockDelta.delta;
      if (typeof delta.text === "string") out.text += delta.text;
      if (isObject(delta.toolUse)) byBlock.get(num(event.contentBlockDelta.contentBlockIndex))!.arguments += String(delta.toolUse.input);
      if (isObject(delta.reasoningContent) && typeof delta.reasoningContent.text === "string") out.reasoning += delta.reasoningContent.text;
    }
    if (isObject(event.messageStop)) out.stopReason = String(event.messageStop.stopReason);
    if (isObject(event.metadata) && isObject(event.metadata.usage)) {
      out.rawUsage = event.metadata.usage;
      out.usage = expectedUsageFromConverse(event.metadata.usage);
    }
  }
  for (const call of out.toolCalls) if (call.arguments === "") call.arguments = "{}";
  return out;
}

/** What a Converse body says. */
export function expectedFromConverseBody(body: unknown): ExpectedConverse {
  const b = body as { output: { message: { content: Json[] } }; stopReason?: string; usage?: Json };
  const out: ExpectedConverse = { text: "", reasoning: "", toolCalls: [], stopReason: b.stopReason ?? null, usage: b.usage ? expectedUsageFromConverse(b.usage) : null, rawUsage: b.usage ?? null };
  for (const block of b.output.message.content) {
    if (typeof block.text === "string") out.text += block.text;
    if (isObject(block.toolUse)) out.toolCalls.push({ id: String(block.toolUse.toolUseId), name: String(block.toolUse.name), arguments: JSON.stringify(block.toolUse.input) });
    if (isObject(block.reasoningContent) && isObject(block.reasoningContent.reasoningText)) out.reasoning += String(block.reasoningContent.reasoningText.text);
  }
  return out;
}
