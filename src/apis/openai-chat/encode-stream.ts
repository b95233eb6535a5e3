import { apiId } from "../api-id.js";
import type { StreamEncoder } from "../inbound-codec.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { UpstreamChunk } from "../../spec/stream-events.js";
import type { Usage } from "../../spec/usage.js";
import { sseFrame } from "../../sse/encode.js";
import { frameWithoutUsage } from "./frame-without-usage.js";
import { toChatFinishReason } from "./finish-reason.js";
import { withoutNullUsage } from "./null-usage.js";
import { toChatUsage } from "./wire-usage.js";

const DONE_FRAME = sseFrame("[DONE]");

/** Same format upstream: frames go out as the provider sent them, tapped but never re-serialised. */
export function passthroughChatEncoder(request: CanonicalRequest): StreamEncoder {
  return {
    // Tollgate always asks for usage; a client that did not sees neither the usage-only chunk nor the null fields.
    chunk: (chunk) => (request.includeUsage ? sseFrame(chunk.raw) : chunk.usageOnly ? "" : sseFrame(withoutNullUsage(chunk.raw))),
    // The upstream's bytes may go out: as they came to a client that asked for usage, else each
    // frame rewritten on its bytes, as chunk() would write it. [DONE] is not a chunk: the relay
    // leaves it out of the bytes, and end() writes it.
    verbatim: true,
    ...(request.includeUsage ? {} : { rewrite: frameWithoutUsage }),
    end: () => DONE_FRAME,
    // openai-node and most clients raise a `data: {"error": ...}` frame as an APIError.
    error: (error) => sseFrame(JSON.stringify(error.body)),
  };
}

/** Another format upstream: Chat Completions chunks written from the canonical events. */
export function translatingChatEncoder(request: CanonicalRequest): StreamEncoder {
  let id = apiId("chatcmpl-", undefined);
  let model = request.model;
  let created = Math.floor(Date.now() / 1000);
  let usage: Usage | undefined;
  const started = new Set<number>();
  const frame = (choices: unknown[], extra: Record<string, unknown> = {}) => sseFrame(JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...extra }));
  const delta = (choice: number, body: Record<string, unknown>) => {
    // The first delta of a choice carries the role, as OpenAI's do.
    const withRole = started.has(choice) ? body : { role: "assistant", ...body };
    started.add(choice);
    return frame([{ index: choice, delta: withRole, finish_reason: null }]);
  };

  return {
    chunk(chunk: UpstreamChunk) {
      let out = "";
      for (const e of chunk.events) {
        switch (e.type) {
          case "response-start":
            if (e.id) id = apiId("chatcmpl-", e.id);
            if (e.model) model = e.model;
            if (e.created) created = e.created;
            break;
          case "text-delta":
            out += delta(e.choice, { content: e.text });
            break;
          case "reasoning-delta":
            out += delta(e.choice, { reasoning_content: e.text });
            break;
          case "tool-call-delta": {
            const call: Record<string, unknown> = { index: e.index, function: { ...(e.name ? { name: e.name } : {}), arguments: e.argumentsDelta } };
            if (e.id) Object.assign(call, { id: e.id, type: "function" });
            out += delta(e.choice, { tool_calls: [call] });
            break;
          }
          case "finish":
            out += frame([{ index: e.choice, delta: {}, finish_reason: toChatFinishReason(e.reason) }]);
            break;
          case "usage":
            usage = e.usage;
            break;
          case "extension":
            // An unnamed chunk without choices, as the usage chunk is: every client tolerates it; the `tollgate` field says what it is.
            out += frame([], { tollgate: { type: e.name, ...e.data } });
            break;
        }
      }
      return out;
    },
    end() {
      const usageFrame = usage && request.includeUsage ? frame([], { usage: toChatUsage(usage) }) : "";
      return usageFrame + DONE_FRAME;
    },
    error: (error) => sseFrame(JSON.stringify(error.body)),
  };
}
