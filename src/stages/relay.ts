import { InternalError } from "../errors/gateway-error.js";
import { SSE_HEARTBEAT } from "../sse/encode.js";
import { Heartbeat } from "../sse/heartbeat.js";
import type { OpenedUpstream } from "../engine/upstream-attempt.js";
import type { Stage } from "./compose.js";
import type { RoutedContext } from "./context.js";

const STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  // Tells nginx and similar proxies not to buffer the stream.
  "x-accel-buffering": "no",
};

/**
 * Writes the answer to the client in its own API's format: a JSON body, or one SSE
 * frame per upstream frame, flushed as it comes, waiting on slow clients. A failure
 * here propagates: the error stage reports it inside the stream, with no clean end.
 */
export const relay: Stage<RoutedContext> = async (ctx) => {
  const { upstream } = ctx;
  if (!upstream) throw new InternalError(new Error("Nothing to relay: no stage opened an answer."));
  const { sink, codec } = ctx;
  if (upstream.kind === "response") {
    sink.send(200, { ...ctx.responseHeaders, "content-type": "application/json" }, codec.responseBody(ctx.request, upstream));
    return;
  }
  if (upstream.kind === "embedding") {
    if (!codec.embeddingBody) throw new InternalError(new Error(`The ${codec.api} codec has no embeddings answer.`));
    sink.send(200, { ...ctx.responseHeaders, "content-type": "application/json" }, codec.embeddingBody(ctx.request, upstream));
    return;
  }
  const encoder = (ctx.encoder = codec.streamEncoder(ctx.request, upstream));
  sink.openStream({ ...STREAM_HEADERS, ...ctx.responseHeaders });
  const heartbeatMs = ctx.services.config.server.heartbeatMs;
  const { recorder } = ctx;
  const heartbeat = new Heartbeat(heartbeatMs, () => sink.write(SSE_HEARTBEAT));
  const { metrics } = ctx.services;
  metrics?.activeStreams.inc();
  // The one place the upstream's bytes may go out: the encoder would not change a frame, or says
  // how to on its bytes (`rewrite`), and nothing keeps the frames (a cache, an idempotent replay).
  // The stream decides if it can.
  const verbatim = encoder.verbatim === true && !recorder;
  try {
    await upstream.stream.pipe({
      // The frames of one upstream read leave in one write.
      chunks(chunks) {
        recorder?.push(chunks);
        let frames = "";
        for (const chunk of chunks) frames += encoder.chunk(chunk);
        if (frames === "") return undefined;
        heartbeat.wrote();
        return sink.write(frames);
      },
      ...(verbatim
        ? {
            bytes(bytes: Uint8Array) {
              heartbeat.wrote();
              return sink.write(bytes);
            },
            ...(encoder.rewrite ? { rewrite: encoder.rewrite } : {}),
          }
        : {}),
    });
    sink.end(encoder.end());
  } finally {
    heartbeat.stop();
    metrics?.activeStreams.dec();
  }
};

/** Answers with what the gateway already holds (a cache hit, an idempotent replay): relayed like a live upstream, then released. */
export async function relayHeld(ctx: RoutedContext, upstream: OpenedUpstream): Promise<void> {
  ctx.upstream = upstream;
  try {
    await relay(ctx, () => Promise.resolve());
  } finally {
    if (upstream.kind === "stream") upstream.stream.dispose();
  }
}
