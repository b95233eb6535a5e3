import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { StreamEvent, UpstreamChunk } from "../../spec/stream-events.js";
import type { StreamParser } from "../provider.js";
import { reportedError } from "./responses-error.js";
import { finishOf, readOutputItems } from "./responses-response.js";
import { normalizeResponsesUsage } from "./responses-usage.js";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Parses one Responses API stream (`event: <type>` / `data: <json>` messages, no [DONE]).
 * Holds the stream's state: function calls are numbered in the order their output items
 * appear (the canonical tool index), and after the terminal event every message is null.
 */
export class ResponsesStreamParser implements StreamParser {
  private ended = false;
  /** Tool index by output_index and by item id. */
  private readonly tools = new Map<string, number>();
  /** Arguments seen so far, per tool index. */
  private readonly args: string[] = [];
  private summaryParts = 0;
  private sawContent = false;

  parseStreamMessage(message: SseMessage, _first: boolean): UpstreamChunk | null {
    if (this.ended) return null;
    let payload: unknown;
    try {
      payload = JSON.parse(message.data);
    } catch {
      throw new UpstreamProtocolError(`Upstream sent a stream event that is not JSON: ${message.data.slice(0, 120)}`);
    }
    if (!isObject(payload)) throw new UpstreamProtocolError("Upstream sent a stream event that is not an object.");
    const type = typeof payload.type === "string" ? payload.type : (message.event ?? "");
    const events: StreamEvent[] = [];
    const chunk: UpstreamChunk = { raw: message.data, event: message.event ?? type, events };

    switch (type) {
      case "response.created": {
        const r = isObject(payload.response) ? payload.response : {};
        events.push({
          type: "response-start",
          id: typeof r.id === "string" ? r.id : "",
          model: typeof r.model === "string" ? r.model : "",
          created: typeof r.created_at === "number" ? r.created_at : 0,
        });
        break;
      }
      case "response.output_text.delta":
      case "response.refusal.delta":
        if (typeof payload.delta === "string" && payload.delta !== "") {
          events.push({ type: "text-delta", choice: 0, text: payload.delta });
          this.sawContent = true;
        }
        break;
      case "response.reasoning_summary_part.added":
        // Summary parts read as paragraphs, as a non-streamed body's parts are joined.
        if (this.summaryParts++ > 0) events.push({ type: "reasoning-delta", choice: 0, text: "\n\n" });
        break;
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta":
        if (typeof payload.delta === "string" && payload.delta !== "") {
          events.push({ type: "reasoning-delta", choice: 0, text: payload.delta });
          this.sawContent = true;
        }
        break;
      case "response.output_item.added": {
        const item = isObject(payload.item) ? payload.item : {};
        if (item.type !== "function_call") break;
        const index = this.args.length;
        this.args.push("");
        this.tools.set(`o${String(payload.output_index)}`, index);
        if (typeof item.id === "string") this.tools.set(`i${item.id}`, index);
        const event: StreamEvent & { type: "tool-call-delta" } = { type: "tool-call-delta", choice: 0, index, argumentsDelta: "" };
        if (typeof item.call_id === "string" && item.call_id !== "") event.id = item.call_id;
        if (typeof item.name === "string" && item.name !== "") event.name = item.name;
        events.push(event);
        this.sawContent = true;
        if (typeof item.arguments === "string") this.pushArguments(events, index, item.arguments, true);
        break;
      }
      case "response.function_call_arguments.delta": {
        if (typeof payload.delta !== "string") break;
        this.pushArguments(events, this.toolOf(payload), payload.delta, false);
        break;
      }
      case "response.function_call_arguments.done":
        // Servers that send the arguments whole, without deltas: the part not yet seen.
        if (typeof payload.arguments === "string") this.pushArguments(events, this.toolOf(payload), payload.arguments, true);
        break;
      case "response.output_item.done": {
        const item = isObject(payload.item) ? payload.item : {};
        if (item.type === "function_call" && typeof item.arguments === "string") this.pushArguments(events, this.toolOf(payload), item.arguments, true);
        break;
      }
      case "response.completed":
      case "response.incomplete": {
        this.ended = true;
        chunk.final = true;
        const r = isObject(payload.response) ? payload.response : {};
        const output = Array.isArray(r.output) ? r.output : [];
        if (!this.sawContent) this.pushWholeOutput(events, output);
        const finish = finishOf(r, this.args.length > 0 || readOutputItems(output).toolCalls.length > 0);
        events.push({ type: "finish", choice: 0, reason: finish.reason, raw: finish.raw });
        const usage = normalizeResponsesUsage(r.usage);
        if (usage) events.push({ type: "usage", usage });
        break;
      }
      case "response.failed": {
        this.ended = true;
        const r = isObject(payload.response) ? payload.response : {};
        throw reportedError(r.error, "the response failed");
      }
      case "error":
        this.ended = true;
        throw reportedError(payload, "unknown error");
    }
    return chunk;
  }

  /** The tool index of an event that names its item by output_index or item_id; a call never announced gets the next index. */
  private toolOf(payload: Json): number {
    const known = this.tools.get(`o${String(payload.output_index)}`) ?? (typeof payload.item_id === "string" ? this.tools.get(`i${payload.item_id}`) : undefined);
    if (known !== undefined) return known;
    const index = this.args.length;
    this.args.push("");
    this.tools.set(`o${String(payload.output_index)}`, index);
    if (typeof payload.item_id === "string") this.tools.set(`i${payload.item_id}`, index);
    return index;
  }

  /** Arguments of a tool: a delta, or (`whole`) the full text of which only the unseen tail is new. */
  private pushArguments(events: StreamEvent[], index: number, text: string, whole: boolean): void {
    const seen = this.args[index] ?? "";
    let delta = text;
    if (whole) {
      // A whole text that contradicts the deltas is not ours to repair: the deltas stand.
      if (text.length <= seen.length || !text.startsWith(seen)) return;
      delta = text.slice(seen.length);
    }
    if (delta === "") return;
    this.args[index] = seen + delta;
    events.push({ type: "tool-call-delta", choice: 0, index, argumentsDelta: delta });
    this.sawContent = true;
  }

  /** A stream that sent no deltas at all: its content, read from the terminal response's output. */
  private pushWholeOutput(events: StreamEvent[], output: readonly unknown[]): void {
    const whole = readOutputItems(output);
    if (whole.reasoning) events.push({ type: "reasoning-delta", choice: 0, text: whole.reasoning });
    if (whole.text) events.push({ type: "text-delta", choice: 0, text: whole.text });
    whole.toolCalls.forEach((call, index) => {
      this.args.push(call.arguments);
      events.push({ type: "tool-call-delta", choice: 0, index, id: call.id, name: call.name, argumentsDelta: call.arguments });
    });
  }
}
