import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { StreamEvent, UpstreamChunk } from "../../spec/stream-events.js";
import type { StreamParser } from "../provider.js";
import { mapConverseStopReason } from "./stop-reason.js";
import { BedrockStreamError, exceptionMessage } from "./stream-error.js";
import { normalizeConverseUsage } from "./usage.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** ConverseStream's event members; any other name is an exception (or a newer event, ignored when its payload says nothing). */
const EVENTS = new Set(["messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"]);

/**
 * A parser for one ConverseStream, its events decoded from the binary event stream
 * (`EventStreamDecoder`) and named by `:event-type`. State across events: which content
 * block is a tool call and its ordinal (tool calls are numbered 0, 1, ... in order, whatever
 * their block index), and whether it got any input (a tool without arguments streams none:
 * its arguments are `{}`). The stream has no end marker: messageStop carries the finish and
 * metadata, usually after it, the usage. Exceptions are thrown as `BedrockStreamError`.
 */
export function createConverseStreamParser(): StreamParser {
  const tools = new Map<number, { ordinal: number; hasInput: boolean }>();
  let started = false;

  const parseStreamMessage = (message: SseMessage): UpstreamChunk => {
    const name = message.event ?? "";
    if (name === "error") throw new BedrockStreamError("internalServerException", exceptionMessage(message.data));
    if (!EVENTS.has(name) && name.endsWith("Exception")) throw new BedrockStreamError(name, exceptionMessage(message.data));
    let payload: unknown;
    try {
      payload = JSON.parse(message.data);
    } catch {
      throw new UpstreamProtocolError(`Upstream sent a stream event that is not JSON: ${message.data.slice(0, 120)}`);
    }
    if (!isObject(payload)) throw new UpstreamProtocolError("Upstream sent a stream event that is not an object.");
    const events: StreamEvent[] = [];
    if (!started) {
      started = true;
      events.push({ type: "response-start", id: "", model: "", created: 0 });
    }
    const index = typeof payload.contentBlockIndex === "number" ? payload.contentBlockIndex : 0;
    switch (name) {
      case "contentBlockStart": {
        const start = isObject(payload.start) ? payload.start : {};
        if (isObject(start.toolUse)) {
          const ordinal = tools.size;
          tools.set(index, { ordinal, hasInput: false });
          events.push({ type: "tool-call-delta", choice: 0, index: ordinal, id: str(start.toolUse.toolUseId) ?? "", name: str(start.toolUse.name) ?? "", argumentsDelta: "" });
        }
        break;
      }
      case "contentBlockDelta": {
        const delta = isObject(payload.delta) ? payload.delta : {};
        const text = str(delta.text);
        if (text) events.push({ type: "text-delta", choice: 0, text });
        if (isObject(delta.toolUse)) {
          const input = str(delta.toolUse.input);
          const tool = tools.get(index);
          if (input && tool) {
            tool.hasInput = true;
            events.push({ type: "tool-call-delta", choice: 0, index: tool.ordinal, argumentsDelta: input });
          }
        }
        if (isObject(delta.reasoningContent)) {
          // Signatures and redacted reasoning have no canonical form.
          const reasoning = str(delta.reasoningContent.text);
          if (reasoning) events.push({ type: "reasoning-delta", choice: 0, text: reasoning });
        }
        break;
      }
      case "contentBlockStop": {
        const tool = tools.get(index);
        if (tool && !tool.hasInput) {
          tool.hasInput = true;
          events.push({ type: "tool-call-delta", choice: 0, index: tool.ordinal, argumentsDelta: "{}" });
        }
        break;
      }
      case "messageStop": {
        const reason = str(payload.stopReason) ?? "end_turn";
        events.push({ type: "finish", choice: 0, reason: mapConverseStopReason(reason), raw: reason });
        break;
      }
      case "metadata": {
        const usage = normalizeConverseUsage(payload.usage);
        if (usage) events.push({ type: "usage", usage });
        return { raw: message.data, event: name, events, usageOnly: usage !== undefined };
      }
      // messageStart (the role) and newer events: nothing canonical.
    }
    return { raw: message.data, event: name, events };
  };
  return { parseStreamMessage };
}
