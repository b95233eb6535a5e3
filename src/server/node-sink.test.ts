import { once } from "node:events";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ResponseBody } from "../spec/response-sink.js";
import { NodeSink } from "./node-sink.js";

let server: Server | undefined;

afterEach(() => server?.close());

/** What a client receives when the sink sends `body`: content-length and bytes. */
async function received(body: ResponseBody): Promise<{ length: string | undefined; text: string }> {
  server = createServer((req, res) => {
    req.resume();
    new NodeSink(res).send(200, { "content-type": "application/json" }, body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const req = request({ host: "127.0.0.1", port, method: "POST" });
  req.end("{}");
  const [res] = (await once(req, "response")) as [import("node:http").IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { length: res.headers["content-length"], text: Buffer.concat(chunks).toString("utf8") };
}

describe("NodeSink.send", () => {
  it("writes an upstream body's parts in order, with their length, a character split between parts included", async () => {
    const bytes = Buffer.from('{"text":"héllo wörld"}', "utf8");
    const parts = [bytes.subarray(0, 11), bytes.subarray(11, 11), bytes.subarray(11)];
    expect(await received(parts)).toEqual({ length: String(bytes.length), text: '{"text":"héllo wörld"}' });
  });

  it("writes text, one part, and no part at all", async () => {
    expect(await received('{"é":1}')).toEqual({ length: "8", text: '{"é":1}' });
    expect(await received([Buffer.from("{}")])).toEqual({ length: "2", text: "{}" });
    expect(await received([])).toEqual({ length: "0", text: "" });
  });
});
