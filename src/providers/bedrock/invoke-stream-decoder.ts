import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { MessageDecoder } from "../provider.js";
import { EventStreamDecoder } from "./event-stream-decoder.js";
import { exceptionMessage } from "./stream-error.js";

/** Bedrock's stream exceptions as the Anthropic error types that say the same (so the Messages parser retries the transient ones). */
const ANTHROPIC_ERROR_TYPES: Record<string, string> = {
  throttlingException: "rate_limit_error",
  serviceUnavailableException: "overloaded_error",
  internalServerException: "api_error",
  modelStreamErrorException: "api_error",
  modelTimeoutException: "timeout_error",
  validationException: "invalid_request_error",
};

/**
 * InvokeModelWithResponseStream for a Claude model: each event-stream `chunk` carries one
 * Anthropic stream event as base64 JSON (`{"bytes": "..."}`). Unwrapped here, the events
 * are exactly the Messages API's, named by their type, so the `anthropic` adapter's parser
 * reads them and a Messages client gets them untouched. An exception becomes an Anthropic
 * `error` event.
 */
export class InvokeStreamDecoder implements MessageDecoder {
  private readonly frames = new EventStreamDecoder();

  push(bytes: Uint8Array): SseMessage[] {
    return this.frames.push(bytes).map(unwrap);
  }

  end(): SseMessage[] {
    return this.frames.end().map(unwrap);
  }
}

function unwrap(message: SseMessage): SseMessage {
  const name = message.event ?? "";
  if (name !== "chunk") {
    const type = ANTHROPIC_ERROR_TYPES[name] ?? "api_error";
    return { event: "error", data: JSON.stringify({ type: "error", error: { type, message: `${name}: ${exceptionMessage(message.data)}` } }) };
  }
  let bytes: unknown;
  try {
    bytes = (JSON.parse(message.data) as { bytes?: unknown }).bytes;
  } catch {
    throw new UpstreamProtocolError("Upstream sent a stream chunk that is not JSON.");
  }
  if (typeof bytes !== "string") throw new UpstreamProtocolError("Upstream sent a stream chunk without bytes.");
  const data = Buffer.from(bytes, "base64").toString("utf8");
  let type: unknown;
  try {
    type = (JSON.parse(data) as { type?: unknown }).type;
  } catch {
    throw new UpstreamProtocolError(`Upstream sent a stream event that is not JSON: ${data.slice(0, 120)}`);
  }
  return typeof type === "string" ? { event: type, data } : { data };
}
