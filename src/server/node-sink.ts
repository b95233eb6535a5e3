import type { ServerResponse } from "node:http";
import type { ResponseSink } from "../pipeline/context.js";

function uncork(res: ServerResponse): void {
  res.uncork();
}

/**
 * The pipeline's response writer over node:http. Frames written in the same tick (those
 * that arrived in one upstream read) leave in one socket write at the end of that tick:
 * nothing waits for more data, so each event is still flushed as soon as it exists.
 */
export class NodeSink implements ResponseSink {
  private corkedTick = false;

  constructor(private readonly res: ServerResponse) {}

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  send(status: number, headers: Record<string, string>, body: string | Buffer): void {
    if (this.res.destroyed || this.res.headersSent) return;
    this.res.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
    this.res.end(body);
  }

  openStream(headers: Record<string, string>): void {
    this.res.writeHead(200, headers);
    this.res.flushHeaders();
  }

  write(frame: string): Promise<void> | undefined {
    const res = this.res;
    if (res.destroyed || res.writableEnded) return undefined;
    if (!this.corkedTick) {
      this.corkedTick = true;
      res.cork();
      process.nextTick(() => {
        this.corkedTick = false;
        uncork(res);
      });
    }
    if (res.write(frame)) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }
}
