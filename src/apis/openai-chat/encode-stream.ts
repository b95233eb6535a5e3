import { apiId } from "../api-id.js";
import type { StreamEncoder } from "../inbound-codec.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { UpstreamChunk } from "../../spec/stream-events.js";
import type { Usage } from "../../spec/usage.js";
import { sseFrame } from "../../sse/encode.js";
import { toChatFinishReason } from "./finish-reason.js";
import { toChatUsage } from "./wire-usage.js";

const DONE_FRAME = sseFrame("[DONE]");

const NULL_USAGE = /"usage"\s*:\s*null/g;

/** The nesting depth at `at` of a JSON text (1: inside the top-level object), strings jumped over. */
function depthAt(text: string, at: number): number {
  let depth = 0;
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      // `at` inside a string (a key or text that spells the field): not a field.
      if (end < 0 || end >= at) return -1;
      i = end;
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return depth;
}

const isEscaped = (text: string, quote: number) => {
  let backslashes = 0;
  while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
  return backslashes % 2 === 1;
};

/** The top-level `"usage": null` field cut from the text with its comma; undefined when there is none to cut that way. */
function cutNullUsage(raw: string): string | undefined {
  for (const match of raw.matchAll(NULL_USAGE)) {
    if (depthAt(raw, match.index) !== 1) continue;
    const end = match.index + match[0].length;
    const before = /,\s*$/.exec(raw.slice(0, match.index));
    if (before) return raw.slice(0, before.index) + raw.slice(end);
    const after = /^\s*,\s*/.exec(raw.slice(end));
    return after ? raw.slice(0, match.index) + raw.slice(end + after[0].length) : undefined;
  }
  return undefined;
}

/**
 * A chunk without the `"usage": null` that OpenAI adds to every chunk once usage is asked
 * for: a client that did not ask would not see the field from the provider, and some
 * (Mistral's SDK) reject it. Cut from the text (the rest byte for byte), which costs a
 * fraction of parsing the chunk and writing it again; parsed only when it cannot be cut.
 */
export function withoutNullUsage(raw: string): string {
  if (!raw.includes('"usage":null') && !raw.includes('"usage": null')) return raw;
  const cut = cutNullUsage(raw);
  if (cut !== undefined) return cut;
  const chunk = JSON.parse(raw) as Record<string, unknown>;
  if (chunk.usage !== null) return raw;
  delete chunk.usage;
  return JSON.stringify(chunk);
}

/** Same format upstream: frames go out as the provider sent them, tapped but never re-serialised. */
export function passthroughChatEncoder(request: CanonicalRequest): StreamEncoder {
  return {
    // Tollgate always asks for usage; a client that did not sees neither the usage-only chunk nor the null fields.
    chunk: (chunk) => (request.includeUsage ? sseFrame(chunk.raw) : chunk.usageOnly ? "" : sseFrame(withoutNullUsage(chunk.raw))),
    // [DONE] is not a chunk: the relay leaves it out of the bytes, and end() writes it.
    verbatim: request.includeUsage,
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
