/** A whole answer's body: text, or an upstream's bytes as its reads delivered them (written in order, never joined). */
export type ResponseBody = string | readonly Buffer[];

/** Where the pipeline writes its answer; the server transport implements it over node:http. */
export interface ResponseSink {
  readonly headersSent: boolean;
  send(status: number, headers: Record<string, string>, body: ResponseBody): void;
  /** Sends 200 and event-stream headers, with the first frame written (at once). */
  openStream(headers: Record<string, string>): void;
  /** Writes frames (text, or the upstream's bytes as they came); returns a promise when the client is slow and the caller must wait. */
  write(frames: string | Uint8Array): Promise<void> | undefined;
  /** Ends the response, writing `lastFrame` with the end in one go. */
  end(lastFrame?: string): void;
}
