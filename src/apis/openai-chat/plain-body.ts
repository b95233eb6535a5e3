/**
 * The shape nearly every Chat Completions body has, checked by hand: text messages and a few
 * scalars. zod's parse of the schema copies the body and each message (~3 KB and a few µs per
 * request, the largest allocation of the request's parse); a body this check accepts passes the
 * schema unchanged. Anything else, every invalid body included, goes through the schema, which
 * names the bad field.
 */
export function isPlainChatBody(body: Record<string, unknown>): boolean {
  const { model, messages, stream_options: options } = body;
  if (typeof model !== "string" || model.length === 0 || !Array.isArray(messages) || messages.length === 0) return false;
  for (const message of messages) if (!isPlainMessage(message)) return false;
  return (
    (isAbsent(body.stream) || typeof body.stream === "boolean") &&
    (isAbsent(options) || (isObject(options) && (options.include_usage === undefined || typeof options.include_usage === "boolean"))) &&
    isPositiveIntOrAbsent(body.max_tokens) &&
    isPositiveIntOrAbsent(body.max_completion_tokens) &&
    isNumberInOrAbsent(body.temperature, 2) &&
    isNumberInOrAbsent(body.top_p, 1) &&
    hasNone(body, SCHEMA_ONLY_FIELDS)
  );
}

/** A loop, not `every` with an arrow: this runs on every request, and the arrow would be a closure each time. */
function hasNone(body: Record<string, unknown>, fields: readonly string[]): boolean {
  for (const field of fields) if (body[field] !== undefined) return false;
  return true;
}

/** The fields checked above; with SCHEMA_ONLY_FIELDS, every field of the schema (a test holds them to it, so a field the schema gains is refused here until checked). */
export const PLAIN_FIELDS = ["model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p"] as const;
/** Fields whose checks are the schema's alone (tools, formats, stops): a body with one goes to it. */
export const SCHEMA_ONLY_FIELDS = ["n", "stop", "seed", "tools", "tool_choice", "response_format"] as const;
/** A message's fields checked in isPlainMessage: the message schema's, all of them. */
export const PLAIN_MESSAGE_FIELDS = ["role", "content", "name", "tool_calls", "tool_call_id"] as const;

const ROLES: ReadonlySet<unknown> = new Set(["system", "developer", "user", "assistant", "tool"]);

function isPlainMessage(message: unknown): boolean {
  if (!isObject(message)) return false;
  const { role, content, name, tool_calls, tool_call_id } = message;
  return (
    ROLES.has(role) &&
    (content === undefined || content === null || typeof content === "string") &&
    (name === undefined || typeof name === "string") &&
    (tool_call_id === undefined || typeof tool_call_id === "string") &&
    isAbsent(tool_calls)
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The schema's `nullish()`. */
function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

function isPositiveIntOrAbsent(value: unknown): boolean {
  return isAbsent(value) || (Number.isSafeInteger(value) && (value as number) > 0);
}

function isNumberInOrAbsent(value: unknown, max: number): boolean {
  return isAbsent(value) || (typeof value === "number" && value >= 0 && value <= max);
}
