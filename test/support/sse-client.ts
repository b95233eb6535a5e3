import { request } from "undici";
import { SseDecoder, type SseMessage } from "../../src/sse/decoder.js";

export interface RawSseResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The `data` payloads in order, including "[DONE]" when sent. */
  payloads: string[];
  messages: SseMessage[];
  /** The raw text, for checks on framing. */
  text: string;
}

/** POSTs a JSON body and reads the whole response as an event stream (or as text when it is not one). */
export async function postSse(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawSseResult> {
  const res = await request(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const decoder = new SseDecoder();
  const messages: SseMessage[] = [];
  const received: Buffer[] = [];
  for await (const bytes of res.body) {
    received.push(Buffer.from(bytes));
    messages.push(...decoder.push(bytes));
  }
  messages.push(...decoder.end());
  // Decoded whole: a character the network split stays one.
  return { status: res.statusCode, headers: res.headers, payloads: messages.map((m) => m.data), messages, text: Buffer.concat(received).toString("utf8") };
}
