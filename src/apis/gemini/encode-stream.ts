import type { StreamEncoder } from "../inbound-codec.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { FinishReason, UpstreamChunk } from "../../spec/stream-events.js";
import type { Usage } from "../../spec/usage.js";
import { sseFrame } from "../../sse/encode.js";
import { toGeminiErrorBody } from "./error-body.js";
import { functionCallPart, toGeminiFinishReason, toGeminiUsage } from "./wire-answer.js";

type Part = Record<string, unknown>;

/** Same format upstream: each GenerateContentResponse goes out as Gemini sent it; Gemini's stream has no end marker. */
export function passthroughGeminiEncoder(): StreamEncoder {
  return {
    chunk: (chunk) => sseFrame(chunk.raw),
    end: () => "",
    error: (error) => sseFrame(JSON.stringify(toGeminiErrorBody(error))),
  };
}

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Another format upstream: a streamGenerateContent?alt=sse stream written from the canonical
 * events. Text and thoughts go out as they come, one GenerateContentResponse per upstream
 * chunk; function calls are sent whole (as Gemini does), so their argument deltas are held
 * until the end, which carries them with each candidate's finishReason and the usageMetadata.
 */
export function translatingGeminiEncoder(request: CanonicalRequest): StreamEncoder {
  let responseId = "";
  let model = request.model;
  const calls = new Map<number, Map<number, PendingCall>>();
  const finishes = new Map<number, FinishReason>();
  const began = new Set<number>([0]);
  let usage: Usage | undefined;

  const frame = (candidates: Record<string, unknown>[], extra: Record<string, unknown> = {}) => {
    responseId ||= `tg-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    return sseFrame(JSON.stringify({ candidates, ...extra, modelVersion: model, responseId }));
  };

  return {
    chunk(chunk: UpstreamChunk) {
      const parts = new Map<number, Part[]>();
      let extensions = "";
      const add = (choice: number, part: Part) => {
        began.add(choice);
        const list = parts.get(choice) ?? [];
        list.push(part);
        parts.set(choice, list);
      };
      for (const e of chunk.events) {
        switch (e.type) {
          case "response-start":
            if (e.id) responseId = e.id;
            if (e.model) model = e.model;
            break;
          case "text-delta":
            add(e.choice, { text: e.text });
            break;
          case "reasoning-delta":
            add(e.choice, { text: e.text, thought: true });
            break;
          case "tool-call-delta": {
            began.add(e.choice);
            const byIndex = calls.get(e.choice) ?? new Map<number, PendingCall>();
            calls.set(e.choice, byIndex);
            const call = byIndex.get(e.index) ?? { id: "", name: "", arguments: "" };
            if (e.id) call.id = e.id;
            if (e.name) call.name = e.name;
            call.arguments += e.argumentsDelta;
            byIndex.set(e.index, call);
            break;
          }
          case "finish":
            began.add(e.choice);
            finishes.set(e.choice, e.reason);
            break;
          case "usage":
            usage = e.usage;
            break;
          case "extension":
            // A response with no candidates (as Gemini's usage-only chunks are), the step in a `tollgate` field.
            extensions += frame([], { tollgate: { type: e.name, ...e.data } });
            break;
        }
      }
      if (parts.size === 0) return extensions;
      return extensions + frame([...parts].map(([index, list]) => ({ content: { role: "model", parts: list }, index })));
    },
    end() {
      const candidates = [...began]
        .sort((a, b) => a - b)
        .map((index) => {
          const pending = [...(calls.get(index)?.values() ?? [])];
          const parts = pending.map((c, j) => functionCallPart({ id: c.id || `call_${index}_${j}`, name: c.name, arguments: c.arguments }));
          // A candidate with nothing more to say carries only its finishReason (an empty parts list is not valid content).
          return { ...(parts.length > 0 ? { content: { role: "model", parts } } : {}), finishReason: toGeminiFinishReason(finishes.get(index)), index };
        });
      return frame(candidates, usage ? { usageMetadata: toGeminiUsage(usage) } : {});
    },
    error: (error) => sseFrame(JSON.stringify(toGeminiErrorBody(error))),
  };
}
