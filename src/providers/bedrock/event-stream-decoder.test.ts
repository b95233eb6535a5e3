import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventMessage, exceptionMessage } from "../../../test/support/bedrock-fixtures.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { SseMessage } from "../../sse/decoder.js";
import { EventStreamDecoder } from "./event-stream-decoder.js";

const payload = fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 4 });
const event = fc.record({ type: fc.constantFrom("messageStart", "contentBlockDelta", "metadata"), payload });

function decodeAll(pieces: Uint8Array[]): SseMessage[] {
  const decoder = new EventStreamDecoder();
  return [...pieces.flatMap((p) => decoder.push(p)), ...decoder.end()];
}

function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

describe("the event-stream decoder", () => {
  it("yields every message, named and whole, however the bytes are cut", () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), (events, offsets) => {
        const bytes = Buffer.concat(events.map((e) => eventMessage(e.type, e.payload)));
        expect(decodeAll(cut(bytes, offsets))).toEqual(events.map((e) => ({ event: e.type, data: JSON.stringify(e.payload) })));
      }),
    );
  });

  it("a flipped byte is caught by a checksum or the framing: an upstream protocol error, never a wrong message", () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 3 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (events, at, flip) => {
        const bytes = Buffer.concat(events.map((e) => eventMessage(e.type, e.payload)));
        const corrupt = Buffer.from(bytes);
        corrupt[at % corrupt.length]! ^= flip;
        let got: SseMessage[] | undefined;
        try {
          got = decodeAll([corrupt]);
        } catch (err) {
          expect(err).toBeInstanceOf(UpstreamProtocolError);
          return;
        }
        // A flip in a length field can only make the stream end inside a message (caught above) or be caught by a CRC.
        expect(got).toEqual(events.map((e) => ({ event: e.type, data: JSON.stringify(e.payload) })));
      }),
    );
  });

  it("an exception is named by its type; a protocol error by `error`", () => {
    expect(decodeAll([exceptionMessage("throttlingException", "slow down")])).toEqual([{ event: "throttlingException", data: '{"message":"slow down"}' }]);
    const protocolError = new EventStreamCodec(toUtf8, fromUtf8).encode({
      headers: { ":message-type": { type: "string", value: "error" }, ":error-code": { type: "string", value: "InternalFailure" }, ":error-message": { type: "string", value: "try again" } },
      body: new Uint8Array(0),
    });
    expect(decodeAll([protocolError])).toEqual([{ event: "error", data: '{"code":"InternalFailure","message":"try again"}' }]);
  });
});
