import type { CanonicalRequest, Message } from "../spec/canonical-request.js";
import type { OpenedUpstream } from "../engine/upstream-attempt.js";
import { responseText } from "../engine/final-usage.js";

function contentText(message: Message): string {
  if (typeof message.content === "string") return message.content;
  return (message.content ?? []).map((p) => (p.type === "text" ? p.text : `[${p.type}]`)).join("");
}

/** The prompt as "role: text" lines (embeddings: their input). */
export function promptText(request: CanonicalRequest): string {
  if (request.embedding) return JSON.stringify(request.embedding.input);
  return request.messages.map((m) => `${m.role}: ${contentText(m)}`).join("\n");
}

/** The answer's text, as kept for token counting (frames relayed unparsed are read now): no extra capture on the stream path. */
export function completionText(upstream: OpenedUpstream): string | undefined {
  if (upstream.kind === "stream") return upstream.stream.tap.output().join("");
  if (upstream.kind === "response") return responseText(upstream.response);
  return undefined;
}

export function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…[${text.length - maxChars} more chars]`;
}
