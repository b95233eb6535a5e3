import { once } from "node:events";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { NodeSink } from "./node-sink.js";

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

/** Serves one stream through a NodeSink; `stream` runs in the request's tick and returns what it saw. */
async function streamed<T>(stream: (sink: NodeSink, written: () => number) => T): Promise<{ seen: T; body: string }> {
  let seen: T | undefined;
  server = createServer((req, res) => {
    const sink = new NodeSink(res);
    seen = stream(sink, () => req.socket.bytesWritten);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const body = await new Promise<string>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: "GET", agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
    req.end();
  });
  return { seen: seen as T, body };
}

describe("NodeSink streams", () => {
  it("the head and the first frames leave at the first write; later writes of the tick leave together at its end, the end last", async () => {
    const { seen, body } = await streamed((sink, written) => {
      sink.openStream({ "content-type": "text/event-stream" });
      const beforeFirst = written();
      sink.write("data: first\n\n");
      const afterFirst = written();
      sink.write("data: second\n\n");
      sink.write("data: third\n\n");
      const afterMore = written();
      sink.end("data: [DONE]\n\n");
      return { beforeFirst, afterFirst, afterMore };
    });
    expect(seen.beforeFirst).toBe(0);
    // Handed to the socket in the same tick, not held until its end.
    expect(seen.afterFirst).toBeGreaterThan(0);
    // Held (corked) with the rest of the tick.
    expect(seen.afterMore).toBe(seen.afterFirst);
    expect(body).toBe("data: first\n\ndata: second\n\ndata: third\n\ndata: [DONE]\n\n");
  });
});
