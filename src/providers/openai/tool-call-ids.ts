import { createHash } from "node:crypto";

/** OpenAI refuses longer tool-call ids (`string_above_max_length`). */
const MAX_ID_LENGTH = 40;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * A tool-call id OpenAI accepts: the id itself when short enough, else a short one derived
 * from it, the same each time, so a call and its result still match. Ids from other
 * providers can be longer (a Gemini call carries its thought signature in its id).
 */
export function fitToolCallId(id: string): string {
  return id.length <= MAX_ID_LENGTH ? id : `call_${createHash("sha256").update(id).digest("hex").slice(0, 32)}`;
}

const tooLong = (v: unknown) => typeof v === "string" && v.length > MAX_ID_LENGTH;

/** A Chat Completions body whose `tool_calls[].id` and `tool_call_id` fit; the same object when none is too long (the client's body is not changed). */
export function fitChatBodyIds(body: Json): Json {
  const messages = body.messages;
  if (!Array.isArray(messages) || !messages.some((m) => isObject(m) && (tooLong(m.tool_call_id) || (Array.isArray(m.tool_calls) && m.tool_calls.some((c) => isObject(c) && tooLong(c.id))))))
    return body;
  return {
    ...body,
    messages: messages.map((m: unknown) => {
      if (!isObject(m)) return m;
      const out: Json = { ...m };
      if (typeof m.tool_call_id === "string") out.tool_call_id = fitToolCallId(m.tool_call_id);
      if (Array.isArray(m.tool_calls)) out.tool_calls = m.tool_calls.map((c: unknown) => (isObject(c) && typeof c.id === "string" ? { ...c, id: fitToolCallId(c.id) } : c));
      return out;
    }),
  };
}

/** A Responses body whose function_call and function_call_output `call_id`s fit; the same object when none is too long. */
export function fitResponsesBodyIds(body: Json): Json {
  const input = body.input;
  if (!Array.isArray(input) || !input.some((item) => isObject(item) && tooLong(item.call_id))) return body;
  return { ...body, input: input.map((item: unknown) => (isObject(item) && typeof item.call_id === "string" ? { ...item, call_id: fitToolCallId(item.call_id) } : item)) };
}
