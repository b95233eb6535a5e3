import type { StreamEncoder } from "../inbound-codec.js";
import type { RenderedError } from "../../errors/render.js";
import type { CanonicalRequest, ToolOrigin } from "../../spec/canonical-request.js";
import type { FinishReason, StreamEvent, UpstreamChunk } from "../../spec/stream-events.js";
import type { Usage } from "../../spec/usage.js";
import { sseFrame } from "../../sse/encode.js";
import { customInput, messageItem, newId, outputText, reasoningItem, responseId, responseObject, statusOf, toolCallItem } from "./wire.js";

/**
 * The in-stream error event: OpenAI's documented fields at the top level, and the same
 * under `error` as its API actually sends them (which is what the SDKs throw on).
 */
function errorFrame(error: RenderedError, sequence: number): string {
  const { message, type, code, param } = error.body.error;
  return sseFrame(JSON.stringify({ type: "error", code, message, param, sequence_number: sequence, error: { type, code, message, param } }), "error");
}

/** Same format upstream: each event goes out as the provider sent it, re-framed under its own name. */
export function passthroughResponsesEncoder(): StreamEncoder {
  let relayed = 0;
  return {
    chunk(chunk) {
      relayed++;
      const name = chunk.event ?? (JSON.parse(chunk.raw) as { type?: string }).type ?? "message";
      return sseFrame(chunk.raw, name);
    },
    // The terminal event (response.completed) was the provider's own last frame.
    end: () => "",
    // Upstream numbers its events from 0, one by one: the error takes the next number.
    error: (error) => errorFrame(error, relayed),
  };
}

type Item =
  | { kind: "message"; outputIndex: number; id: string; text: string; open: boolean }
  | { kind: "reasoning"; outputIndex: number; id: string; text: string; open: boolean }
  | { kind: "function_call"; outputIndex: number; id: string; callId: string; name: string; args: string; open: boolean; origin?: ToolOrigin };

/**
 * Another format upstream: the Responses event sequence written from canonical events.
 * Text and reasoning each fill one output item until something else begins; each tool
 * call is its own function_call item, open until the answer ends.
 */
export function translatingResponsesEncoder(request: CanonicalRequest): StreamEncoder {
  let sequence = 0;
  let id = "";
  let model = request.model;
  let createdAt = Math.floor(Date.now() / 1000);
  let started = false;
  let finish: FinishReason | undefined;
  let usage: Usage | undefined;
  const items: Item[] = [];
  const tools = new Map<number, Item & { kind: "function_call" }>();
  let current: (Item & { kind: "message" | "reasoning" }) | undefined;

  const emit = (type: string, fields: Record<string, unknown>) => sseFrame(JSON.stringify({ type, sequence_number: sequence++, ...fields }), type);
  /** An item as output_item.added announces it (empty), or as it ends. */
  const snapshot = (item: Item, status: "in_progress" | "completed") => {
    const done = status === "completed";
    if (item.kind === "message") return messageItem(item.id, status, done ? item.text : null);
    if (item.kind === "reasoning") return reasoningItem(item.id, done ? item.text : null);
    return toolCallItem(item.id, status, item.callId, item.name, done ? item.args : "", item.origin);
  };
  const response = (status: "in_progress" | "completed" | "incomplete", incompleteReason?: string) =>
    responseObject(request, {
      id,
      model,
      createdAt,
      status,
      ...(incompleteReason ? { incompleteReason } : {}),
      output: status === "in_progress" ? [] : items.map((i) => snapshot(i, "completed")),
      ...(usage && status !== "in_progress" ? { usage } : {}),
    });

  function start(): string {
    if (started) return "";
    started = true;
    if (!id) id = responseId("");
    return emit("response.created", { response: response("in_progress") }) + emit("response.in_progress", { response: response("in_progress") });
  }

  function close(item: Item): string {
    if (!item.open) return "";
    item.open = false;
    const at = { item_id: item.id, output_index: item.outputIndex };
    let out = "";
    if (item.kind === "message") {
      out += emit("response.output_text.done", { ...at, content_index: 0, text: item.text, logprobs: [] });
      out += emit("response.content_part.done", { ...at, content_index: 0, part: outputText(item.text) });
    } else if (item.kind === "reasoning") {
      out += emit("response.reasoning_summary_text.done", { ...at, summary_index: 0, text: item.text });
      out += emit("response.reasoning_summary_part.done", { ...at, summary_index: 0, part: { type: "summary_text", text: item.text } });
    } else if (item.origin?.kind === "custom") {
      // A custom tool's text is inside the arguments' JSON: it goes out whole once they are complete.
      const input = customInput(item.args);
      if (input) out += emit("response.custom_tool_call_input.delta", { ...at, delta: input });
    } else {
      out += emit("response.function_call_arguments.done", { ...at, name: item.name, arguments: item.args });
    }
    return out + emit("response.output_item.done", { output_index: item.outputIndex, item: snapshot(item, "completed") });
  }

  function closeCurrent(): string {
    const item = current;
    current = undefined;
    return item ? close(item) : "";
  }

  /** The open text or reasoning item, opening a new one (and closing the other) when needed. */
  function open(kind: "message" | "reasoning"): string {
    if (current?.kind === kind) return "";
    let out = closeCurrent();
    const item: Item & { kind: "message" | "reasoning" } = { kind, outputIndex: items.length, id: newId(kind === "message" ? "msg" : "rs"), text: "", open: true };
    items.push(item);
    current = item;
    const at = { item_id: item.id, output_index: item.outputIndex };
    out += emit("response.output_item.added", { output_index: item.outputIndex, item: snapshot(item, "in_progress") });
    if (kind === "message") out += emit("response.content_part.added", { ...at, content_index: 0, part: outputText("") });
    else out += emit("response.reasoning_summary_part.added", { ...at, summary_index: 0, part: { type: "summary_text", text: "" } });
    return out;
  }

  function toolDelta(e: StreamEvent & { type: "tool-call-delta" }): string {
    let out = "";
    let item = tools.get(e.index);
    if (!item) {
      out += closeCurrent();
      const origin = e.name ? request.toolOrigins?.[e.name] : undefined;
      item = {
        kind: "function_call",
        outputIndex: items.length,
        id: newId(origin?.kind === "custom" ? "ctc" : "fc"),
        callId: e.id || newId("call"),
        name: e.name ?? "",
        args: "",
        open: true,
        ...(origin ? { origin } : {}),
      };
      items.push(item);
      tools.set(e.index, item);
      out += emit("response.output_item.added", { output_index: item.outputIndex, item: snapshot(item, "in_progress") });
    } else if (e.name && item.open) {
      // A name sent in pieces: the done item carries it whole.
      item.name += e.name;
    }
    if (e.argumentsDelta && item.open) {
      item.args += e.argumentsDelta;
      if (item.origin?.kind !== "custom") out += emit("response.function_call_arguments.delta", { item_id: item.id, output_index: item.outputIndex, delta: e.argumentsDelta });
    }
    return out;
  }

  return {
    chunk(chunk: UpstreamChunk) {
      for (const e of chunk.events) {
        if (e.type === "response-start" && !started) {
          id = responseId(e.id);
          if (e.model) model = e.model;
          if (e.created) createdAt = e.created;
        }
      }
      let out = start();
      for (const e of chunk.events) {
        // Responses has no `n`: only the first choice is written.
        if ("choice" in e && e.choice !== 0) continue;
        switch (e.type) {
          case "text-delta": {
            out += open("message");
            const item = current!;
            item.text += e.text;
            out += emit("response.output_text.delta", { item_id: item.id, output_index: item.outputIndex, content_index: 0, delta: e.text, logprobs: [] });
            break;
          }
          case "reasoning-delta": {
            out += open("reasoning");
            const item = current!;
            item.text += e.text;
            out += emit("response.reasoning_summary_text.delta", { item_id: item.id, output_index: item.outputIndex, summary_index: 0, delta: e.text });
            break;
          }
          case "tool-call-delta":
            out += toolDelta(e);
            break;
          case "finish":
            finish = e.reason;
            break;
          case "usage":
            usage = e.usage;
            break;
          case "extension":
            // Rides on keepalive, an event every client ignores (openai-node's stream helper throws on unknown types).
            out += sseFrame(JSON.stringify({ type: "keepalive", sequence_number: sequence++, tollgate: { type: e.name, ...e.data } }), `tollgate.${e.name}`);
            break;
        }
      }
      return out;
    },
    end() {
      let out = start() + closeCurrent();
      for (const item of items) out += close(item);
      const { status, incompleteReason } = statusOf(finish);
      return out + emit(status === "completed" ? "response.completed" : "response.incomplete", { response: response(status, incompleteReason) });
    },
    error: (error) => errorFrame(error, sequence++),
  };
}
