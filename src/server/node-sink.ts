import type { ServerResponse } from "node:http";
import type { ResponseBody, ResponseSink } from "../spec/response-sink.js";
import { partsLength } from "../transport/upstream-body.js";
import { bodyRead } from "./read-body.js";

/** The pipeline's response writer over node:http. Each write goes to the socket at once: nothing is held back. */
export class NodeSink implements ResponseSink {
  constructor(private readonly res: ServerResponse) {}

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  send(status: number, headers: Record<string, string>, body: ResponseBody): void {
    const res = this.res;
    if (res.destroyed || res.headersSent) return;
    res.writeHead(status, { ...headers, ...this.closing(), "content-length": String(typeof body === "string" ? Buffer.byteLength(body) : partsLength(body)) });
    if (typeof body === "string") return void res.end(body);
    if (body.length < 2) return void res.end(body[0] ?? "");
    // The parts leave in one writev, headers with them.
    res.cork();
    for (const part of body) res.write(part);
    res.end();
    res.uncork();
  }

  openStream(headers: Record<string, string>): void {
    // No flushHeaders(): the relay writes the first frames in the same tick, and node sends
    // the headers with them in one packet.
    this.res.writeHead(200, { ...headers, ...this.closing() });
  }

  /** An answer sent before the request's body was read (refused unread): the client must not reuse the connection. */
  private closing(): Record<string, string> {
    return bodyRead(this.res.req) ? {} : { connection: "close" };
  }

  write(frames: string | Uint8Array): Promise<void> | undefined {
    const res = this.res;
    if (res.destroyed || res.writableEnded) return undefined;
    if (res.write(frames)) return undefined;
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

  end(lastFrame?: string): void {
    if (this.res.writableEnded) return;
    if (lastFrame && !this.res.destroyed) this.res.end(lastFrame);
    else this.res.end();
  }
}
