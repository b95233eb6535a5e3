import { randomBytes } from "node:crypto";

/**
 * An answer's id in the client API's own form (`msg_…` on Messages, `chatcmpl-…` on Chat
 * Completions): the upstream's id when it already has that form, else the upstream's id
 * (letters and digits only, so it stays traceable) behind the prefix, or a fresh one.
 */
export function apiId(prefix: "msg_" | "chatcmpl-", upstreamId: string | undefined): string {
  if (upstreamId?.startsWith(prefix)) return upstreamId;
  const tail = upstreamId?.replace(/[^A-Za-z0-9]/g, "") || randomBytes(12).toString("hex");
  return `${prefix}${tail}`;
}
