import type { InboundCodec } from "../apis/inbound-codec.js";
import type { Identity } from "../spec/identity.js";
import type { ResponseSink } from "../spec/response-sink.js";

/** A request as a transport hands it to the pipeline: already read, not yet understood. */
export interface InboundRequest {
  codec: InboundCodec;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** The transport's reader of the body, called only once the caller is authenticated (then `body` is unused). */
  readBody?: () => Promise<unknown>;
  sink: ResponseSink;
  /** The transport calls back when the client goes away before the answer is complete. */
  onClientGone(cancel: () => void): void;
  /** The request URL's query string, without the `?`. */
  query?: string;
  /** In-process callers only (generateObject): who is asking, instead of authenticating. The HTTP transport never sets it. */
  identity?: Identity;
}
