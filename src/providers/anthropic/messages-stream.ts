import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { StreamEvent, UpstreamChunk } from "../../spec/stream-events.js";
import type { StreamParser } from "../provider.js";
import { mapAnthropicStopReason } from "./stop-reason.js";
import { UpstreamStreamError } from "./stream-error.js";
import { mergeAnthropicUsage, toCanonicalUsage, type AnthropicUsageFigures } from "./usage.js";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** What one content block index holds: canonical tool calls are numbered 0, 1, ... in order of their blocks. */
type Block = { kind: "text" } | { kind: "thinking" } | { kind: "tool"; ordinal: number; hasInput: boolean } | { kind: "ignored" };

/**
 * A parser for one Anthropic Messages stream. It keeps the little state the format
 * needs: the input figures of message_start (message_delta carries only what changed;
 * the final usage event combines both), the kind of each content block, and tool-call
 * ordinals (a text block before a tool_use block must not leave a hole in the tool
 * indices a Chat Completions client sees). Frames are never altered: `raw` is the payload
 * as sent. message_stop is the end marker: a `final` chunk without events, relayed too.
 */
export function createMessagesStreamParser(): StreamParser {
  let usage: AnthropicUsageFigures | undefined;
  let usageSent = false;
  const blocks = new Map<number, Block>();
  let tools = 0;

  const toolOrdinal = (blockIndex: number): number => {
    const block = blocks.get(blockIndex);
    if (block?.kind === "tool") return block.ordinal;
    // A delta for a block whose start was never seen: number it by its block index.
    return blockIndex;
  };

  const parseStreamMessage = (message: SseMessage): UpstreamChunk | null => {
    const raw = message.data;
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      throw new UpstreamProtocolError(`Upstream sent a stream event that is not JSON: ${raw.slice(0, 120)}`);
    }
    if (!isObject(payload)) throw new UpstreamProtocolError("Upstream sent a stream event that is not an object.");
    const type = str(payload.type) ?? message.event;
    if (type === undefined) throw new UpstreamProtocolError("Upstream sent a stream event without a type.");
    const events: StreamEvent[] = [];
    const chunk: UpstreamChunk = { raw, event: message.event ?? type, events };
    // The end marker is relayed like any frame (a Messages client needs it) and ends the stream.
    // A message that came whole in message_start (programmatic tool calling's continuations)
    // had no message_delta: its usage is message_start's.
    if (type === "message_stop") return { ...chunk, final: true, events: usage && !usageSent ? [{ type: "usage", usage: toCanonicalUsage(usage) }] : [] };

    switch (type) {
      case "message_start": {
        const m = isObject(payload.message) ? payload.message : {};
        events.push({ type: "response-start", id: str(m.id) ?? "", model: str(m.model) ?? "", created: 0 });
        // Kept, not emitted: a usage event marks the answer as begun, and message_start
        // comes before any content (a stall right after it must still fall back).
        usage = mergeAnthropicUsage(usage, m.usage);
        // A message sent whole here (programmatic tool calling's continuations) has its content and stop reason in it.
        for (const block of Array.isArray(m.content) ? m.content.filter(isObject) : []) {
          const text = str(block.text);
          if (block.type === "text" && text) events.push({ type: "text-delta", choice: 0, text });
          if (block.type === "tool_use")
            events.push({ type: "tool-call-delta", choice: 0, index: tools++, id: str(block.id) ?? "", name: str(block.name) ?? "", argumentsDelta: JSON.stringify(block.input ?? {}) });
        }
        const reason = str(m.stop_reason);
        if (reason) events.push({ type: "finish", choice: 0, reason: mapAnthropicStopReason(reason), raw: reason });
        break;
      }
      case "content_block_start": {
        const index = typeof payload.index === "number" ? payload.index : blocks.size;
        const block = isObject(payload.content_block) ? payload.content_block : {};
        switch (block.type) {
          case "text": {
            blocks.set(index, { kind: "text" });
            const text = str(block.text);
            if (text) events.push({ type: "text-delta", choice: 0, text });
            break;
          }
          case "thinking": {
            blocks.set(index, { kind: "thinking" });
            const text = str(block.thinking);
            if (text) events.push({ type: "reasoning-delta", choice: 0, text });
            break;
          }
          case "tool_use": {
            const ordinal = tools++;
            // Input normally streams as input_json_delta; a start that already holds it is sent whole.
            const input = isObject(block.input) && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : "";
            blocks.set(index, { kind: "tool", ordinal, hasInput: input !== "" });
            events.push({ type: "tool-call-delta", choice: 0, index: ordinal, id: str(block.id) ?? "", name: str(block.name) ?? "", argumentsDelta: input });
            break;
          }
          default:
            // redacted_thinking, server_tool_use and server tool results, fallback markers:
            // relayed to Messages clients, nothing a canonical event can carry.
            blocks.set(index, { kind: "ignored" });
        }
        break;
      }
      case "content_block_delta": {
        const index = typeof payload.index === "number" ? payload.index : -1;
        const delta = isObject(payload.delta) ? payload.delta : {};
        const kind = blocks.get(index)?.kind;
        switch (delta.type) {
          case "text_delta": {
            const text = str(delta.text);
            if (text) events.push({ type: "text-delta", choice: 0, text });
            break;
          }
          case "thinking_delta": {
            const text = str(delta.thinking);
            if (text) events.push({ type: "reasoning-delta", choice: 0, text });
            break;
          }
          case "input_json_delta": {
            const json = str(delta.partial_json);
            if (kind === "ignored" || !json) break;
            const block = blocks.get(index);
            if (block?.kind === "tool") block.hasInput = true;
            events.push({ type: "tool-call-delta", choice: 0, index: toolOrdinal(index), argumentsDelta: json });
            break;
          }
          // signature_delta, citations_delta: nothing canonical.
        }
        break;
      }
      case "content_block_stop": {
        // A tool called without arguments streams no input at all: its input is {}, and
        // Chat Completions clients parse the arguments text as JSON.
        const block = typeof payload.index === "number" ? blocks.get(payload.index) : undefined;
        if (block?.kind === "tool" && !block.hasInput) {
          block.hasInput = true;
          events.push({ type: "tool-call-delta", choice: 0, index: block.ordinal, argumentsDelta: "{}" });
        }
        break;
      }
      case "message_delta": {
        const delta = isObject(payload.delta) ? payload.delta : {};
        const reason = str(delta.stop_reason);
        if (reason) events.push({ type: "finish", choice: 0, reason: mapAnthropicStopReason(reason), raw: reason });
        if (isObject(payload.usage)) {
          usage = mergeAnthropicUsage(usage, payload.usage);
          usageSent = true;
          events.push({ type: "usage", usage: toCanonicalUsage(usage!) });
        }
        break;
      }
      case "error": {
        const err = isObject(payload.error) ? payload.error : {};
        throw new UpstreamStreamError(str(err.type) ?? "error", str(err.message) ?? "unknown");
      }
      // ping and event types newer than this parser: no events, relayed as they are.
    }
    return chunk;
  };
  return { parseStreamMessage };
}
