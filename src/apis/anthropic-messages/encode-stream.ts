import { apiId } from "../api-id.js";
import type { StreamEncoder } from "../inbound-codec.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { FinishReason, UpstreamChunk } from "../../spec/stream-events.js";
import type { Usage } from "../../spec/usage.js";
import { sseFrame } from "../../sse/encode.js";
import { toAnthropicErrorBody } from "./error-body.js";
import { toAnthropicStopReason } from "./stop-reason.js";
import { toAnthropicUsage } from "./wire-usage.js";

const event = (type: string, data: Record<string, unknown>) => sseFrame(JSON.stringify({ type, ...data }), type);

function typeOf(raw: string): string {
  try {
    const type = (JSON.parse(raw) as { type?: unknown } | null)?.type;
    if (typeof type === "string") return type;
  } catch {
    // The parser already accepted this frame; keep going with a neutral name.
  }
  return "message";
}

/**
 * Same format upstream: each frame goes out as the provider sent it (its payload untouched,
 * pings and message_stop included), re-framed as `event: <name>\ndata: <payload>`.
 */
export function passthroughMessagesEncoder(): StreamEncoder {
  return {
    chunk: (chunk) => sseFrame(chunk.raw, chunk.event ?? typeOf(chunk.raw)),
    verbatim: true,
    // message_stop came through as the stream's final frame.
    end: () => "",
    // The Anthropic SDKs throw an APIError on an `error` event.
    error: (error) => event("error", { error: toAnthropicErrorBody(error).error }),
  };
}

type OpenBlock = { kind: "text" } | { kind: "thinking" } | { kind: "tool"; tool: number };

/**
 * Another format upstream: a Messages stream written from the canonical events.
 * message_start first; one content block per run of one kind (a new block when the kind
 * or the tool index changes); the finish is held until end(), so that message_delta
 * carries the stop_reason and the final usage together, then message_stop.
 */
export function translatingMessagesEncoder(request: CanonicalRequest): StreamEncoder {
  let id = "";
  let model = request.model;
  let started = false;
  let open: OpenBlock | undefined;
  let blockIndex = -1;
  let finish: FinishReason | undefined;
  let usage: Usage | undefined;

  const start = (): string => {
    if (started) return "";
    started = true;
    const input = usage ? toAnthropicUsage(usage) : { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    return event("message_start", {
      message: {
        id: apiId("msg_", id),
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: input.input_tokens, cache_creation_input_tokens: input.cache_creation_input_tokens, cache_read_input_tokens: input.cache_read_input_tokens, output_tokens: 0 },
      },
    });
  };
  const close = (): string => {
    if (!open) return "";
    open = undefined;
    return event("content_block_stop", { index: blockIndex });
  };
  const openBlock = (block: OpenBlock, contentBlock: Record<string, unknown>): string => {
    const out = start() + close();
    open = block;
    blockIndex++;
    return out + event("content_block_start", { index: blockIndex, content_block: contentBlock });
  };
  const delta = (body: Record<string, unknown>) => event("content_block_delta", { index: blockIndex, delta: body });

  return {
    chunk(chunk: UpstreamChunk) {
      let out = "";
      for (const e of chunk.events) {
        // Messages has one answer per request; other choices (never asked for) are left out.
        if ("choice" in e && e.choice !== 0) continue;
        switch (e.type) {
          case "response-start":
            if (e.id) id = e.id;
            if (e.model) model = e.model;
            out += start();
            break;
          case "text-delta":
            if (open?.kind !== "text") out += openBlock({ kind: "text" }, { type: "text", text: "" });
            out += delta({ type: "text_delta", text: e.text });
            break;
          case "reasoning-delta":
            if (open?.kind !== "thinking") out += openBlock({ kind: "thinking" }, { type: "thinking", thinking: "", signature: "" });
            out += delta({ type: "thinking_delta", thinking: e.text });
            break;
          case "tool-call-delta":
            if (open?.kind !== "tool" || open.tool !== e.index) {
              const toolId = e.id || `toolu_${Date.now().toString(36)}${e.index}`;
              out += openBlock({ kind: "tool", tool: e.index }, { type: "tool_use", id: toolId, name: e.name ?? "", input: {} });
            }
            if (e.argumentsDelta) out += delta({ type: "input_json_delta", partial_json: e.argumentsDelta });
            break;
          case "finish":
            finish = e.reason;
            break;
          case "usage":
            usage = e.usage;
            break;
          case "extension":
            // A ping's payload under its own event name: the SDKs skip only events named "ping", and ignore a ping's extra fields.
            out += sseFrame(JSON.stringify({ type: "ping", tollgate: { type: e.name, ...e.data } }), `tollgate.${e.name}`);
            break;
        }
      }
      return out;
    },
    end() {
      const usageBody = usage ? toAnthropicUsage(usage) : { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 };
      return start() + close() + event("message_delta", { delta: { stop_reason: toAnthropicStopReason(finish), stop_sequence: null }, usage: usageBody }) + event("message_stop", {});
    },
    error: (error) => event("error", { error: toAnthropicErrorBody(error).error }),
  };
}
