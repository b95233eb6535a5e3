import type { UpstreamHttpResponse } from "../../transport/http-transport.js";
import { iterableBody } from "../../transport/upstream-body.js";

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A body that is one buffer, already complete. */
export function bytesBody(text: string): Pick<UpstreamHttpResponse, "body" | "destroy"> {
  const bytes = utf8(text);
  let destroyed = false;
  return {
    body: iterableBody({
      async *[Symbol.asyncIterator]() {
        if (!destroyed) yield bytes;
      },
    }),
    destroy: () => {
      destroyed = true;
    },
  };
}
