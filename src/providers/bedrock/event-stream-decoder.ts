import { EventStreamCodec, type Message } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { MessageDecoder } from "../provider.js";

/** The first 4 bytes of every event-stream message: its total length, big-endian. */
const PRELUDE_LENGTH_BYTES = 4;

function header(message: Message, name: string): string | undefined {
  const h = message.headers[name];
  return h?.type === "string" ? h.value : undefined;
}

/**
 * AWS's binary event stream (`application/vnd.amazon.eventstream`) read into the
 * `{event, data}` messages the stream parsers take: an event is named by `:event-type`,
 * an exception by `:exception-type` (Bedrock's stream unions list both as members), and a
 * protocol error becomes an `error` message with its code and text. Only the length prefix
 * is read here, to know where a message ends; `@smithy/eventstream-codec` decodes it and
 * checks both checksums.
 */
export class EventStreamDecoder implements MessageDecoder {
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);
  private readonly text = new TextDecoder("utf-8", { fatal: true });
  private buffer: Uint8Array = new Uint8Array(0);
  /** A message that could not be read: the ones before it are returned first, then this is thrown. */
  private failure: UpstreamProtocolError | undefined;

  push(bytes: Uint8Array): SseMessage[] {
    if (this.failure) throw this.failure;
    this.buffer = this.buffer.length === 0 ? bytes : Buffer.concat([this.buffer, bytes]);
    const out: SseMessage[] = [];
    while (this.buffer.length >= PRELUDE_LENGTH_BYTES) {
      const length = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength).getUint32(0, false);
      if (this.buffer.length < length) break;
      let message: SseMessage;
      try {
        message = this.toMessage(this.codec.decode(this.buffer.subarray(0, length)));
      } catch (err) {
        this.failure = err instanceof UpstreamProtocolError ? err : new UpstreamProtocolError(`Upstream sent a corrupt event-stream message: ${(err as Error).message}`);
        if (out.length > 0) return out;
        throw this.failure;
      }
      this.buffer = this.buffer.subarray(length);
      out.push(message);
    }
    return out;
  }

  end(): SseMessage[] {
    if (this.failure) throw this.failure;
    if (this.buffer.length > 0) throw new UpstreamProtocolError(`Upstream ended the event stream inside a message (${this.buffer.length} bytes left).`);
    return [];
  }

  private toMessage(message: Message): SseMessage {
    const kind = header(message, ":message-type") ?? "event";
    if (kind === "error") {
      return { event: "error", data: JSON.stringify({ code: header(message, ":error-code") ?? "error", message: header(message, ":error-message") ?? "" }) };
    }
    let data: string;
    try {
      data = this.text.decode(message.body);
    } catch {
      throw new UpstreamProtocolError("Upstream sent an event-stream payload that is not UTF-8.");
    }
    const name = kind === "exception" ? header(message, ":exception-type") : header(message, ":event-type");
    return { event: name ?? kind, data };
  }
}
