import type { ResponseBody, ResponseSink } from "../spec/response-sink.js";

/**
 * A sink that calls `onEnd` once, synchronously, just before the response's last bytes are
 * handed to the transport: the ledger's journal writes the request's record there, so it
 * is in the OS no later than the tick in which the client's answer ends.
 */
export class EndingSink implements ResponseSink {
  private ended = false;

  constructor(
    private readonly inner: ResponseSink,
    private readonly onEnd: () => void,
  ) {}

  get headersSent(): boolean {
    return this.inner.headersSent;
  }

  send(status: number, headers: Record<string, string>, body: ResponseBody): void {
    this.noteEnd();
    this.inner.send(status, headers, body);
  }

  openStream(headers: Record<string, string>): void {
    this.inner.openStream(headers);
  }

  write(frames: string | Uint8Array): Promise<void> | undefined {
    return this.inner.write(frames);
  }

  end(lastFrame?: string): void {
    this.noteEnd();
    this.inner.end(lastFrame);
  }

  private noteEnd(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }
}
