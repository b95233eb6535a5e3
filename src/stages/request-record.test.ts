import { afterEach, describe, expect, it, vi } from "vitest";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { ClientClosedError } from "../engine/client-closed.js";
import type { ResponseSink } from "../spec/response-sink.js";
import { GatewayContext, type GatewayServices } from "./context.js";
import { endedRecord, finalRecord } from "./request-record.js";

function context(): GatewayContext {
  return new GatewayContext("req-1", openaiChatCodec, {}, {}, new AbortController().signal, {} as ResponseSink, {} as GatewayServices);
}

describe("finalRecord", () => {
  afterEach(() => vi.restoreAllMocks());

  it("takes its latency when the request is over, after the attempts' ends, not as the answer ended", () => {
    const ctx = context();
    const now = vi.spyOn(performance, "now").mockReturnValue(ctx.startedAtMono + 40);
    const journaled = { ...endedRecord(ctx) };
    now.mockReturnValue(ctx.startedAtMono + 55);
    expect(journaled.latencyMs).toBe(40);
    expect(finalRecord(ctx).latencyMs).toBe(55);
  });

  it("is the record journaled as the answer ended, built once", () => {
    const ctx = context();
    const journaled = endedRecord(ctx);
    expect(finalRecord(ctx)).toBe(journaled);
  });

  it("is built anew when the request ended otherwise after its answer, or no answer ended", () => {
    const ctx = context();
    expect(finalRecord(ctx)).not.toBe(finalRecord(ctx));
    const journaled = endedRecord(ctx);
    ctx.error = new ClientClosedError();
    ctx.status = 499;
    const final = finalRecord(ctx);
    expect(final).not.toBe(journaled);
    expect(final).toMatchObject({ status: 499, outcome: "cancelled" });
    expect(journaled).toMatchObject({ status: 200, outcome: "complete" });
  });
});
