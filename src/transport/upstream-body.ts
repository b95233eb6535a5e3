/** Where a body's bytes go, each call made as they arrive. */
export interface BodyListener {
  data(bytes: Uint8Array): void;
  /** The body is complete. */
  end(): void;
  /** The body broke (a reset, a connection closed early, an abort); it is then over. */
  error(err: unknown): void;
}

/**
 * A response body as the engine reads it: pushed to one listener, with backpressure. No stream
 * object, no promise per read; the HTTP transport's bytes come straight from undici's handler.
 */
export interface UpstreamBody {
  /** Starts the flow to `listener`; called once. Bytes may arrive before it returns. */
  listen(listener: BodyListener): void;
  pause(): void;
  resume(): void;
}

/** A body over an async iterable (the simulator's, a test's). */
export function iterableBody(source: AsyncIterable<Uint8Array>): UpstreamBody {
  let paused = false;
  let resumed: (() => void) | undefined;
  return {
    listen(listener) {
      void (async () => {
        try {
          for await (const bytes of source) {
            listener.data(bytes);
            while (paused) await new Promise<void>((resolve) => (resumed = resolve));
          }
        } catch (err) {
          return listener.error(err);
        }
        listener.end();
      })();
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      resumed?.();
      resumed = undefined;
    },
  };
}

/** What to do with a body longer than the limit: stop reading and keep what came, or fail. */
export type OverLimit = "truncate" | ((limit: number) => Error);

/**
 * A whole body's bytes, as the reads delivered them (never copied into one buffer). Past
 * `limit` bytes it stops reading (`stop`, which closes the connection) and truncates or
 * fails as `over` says.
 */
export function readParts(body: UpstreamBody, stop: () => void, limit: number, over: OverLimit): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    body.listen({
      data(bytes) {
        if (settled) return;
        if (size + bytes.byteLength > limit) {
          settled = true;
          if (over === "truncate") resolve(parts);
          else reject(over(limit));
          return stop();
        }
        size += bytes.byteLength;
        parts.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      },
      end() {
        if (settled) return;
        settled = true;
        resolve(parts);
      },
      error(err) {
        if (settled) return;
        settled = true;
        reject(err);
      },
    });
  });
}

/** A whole body's bytes in one buffer (see readParts). */
export async function readBytes(body: UpstreamBody, stop: () => void, limit: number, over: OverLimit): Promise<Buffer> {
  return joined(await readParts(body, stop, limit, over));
}

/** How many bytes the parts hold. */
export function partsLength(parts: readonly Uint8Array[]): number {
  let length = 0;
  for (const part of parts) length += part.length;
  return length;
}

/** The parts as one buffer: copied only when there are several. */
export function joined(parts: readonly Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
