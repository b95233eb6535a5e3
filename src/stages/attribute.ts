import { InvalidRequestError } from "../errors/gateway-error.js";
import type { Stage } from "./compose.js";
import type { ParsedContext } from "./context.js";

const TAG = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_TAGS = 16;

/** Parses `x-tollgate-tags: feature=search, env=prod`. */
function parseTagHeader(header: string): Record<string, string> {
  const tags: Record<string, string> = {};
  const parts = header
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length > MAX_TAGS) throw new InvalidRequestError("invalid_tags", `At most ${MAX_TAGS} tags per request.`, { param: "x-tollgate-tags" });
  for (const part of parts) {
    const eq = part.indexOf("=");
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 1 || !TAG.test(name) || !TAG.test(value)) {
      throw new InvalidRequestError("invalid_tags", `Tag "${part.slice(0, 80)}" must be name=value, each 1-64 of [A-Za-z0-9_.:-].`, { param: "x-tollgate-tags" });
    }
    tags[name] = value;
  }
  return tags;
}

/**
 * Attribution beyond the key: the application's end user (`x-tollgate-end-user`, else the
 * one the inbound API names, e.g. Messages' `metadata.user_id`, else the body's `user`) and request tags, merged over the key's own tags (the key's win, so a
 * caller cannot move its spend to another team's tag budget).
 */
export const attribute: Stage<ParsedContext> = (ctx, next) => {
  const identity = { ...ctx.identity };
  const endUser = ctx.header("x-tollgate-end-user") ?? ctx.request?.endUser ?? ctx.request?.inbound.body.user;
  if (typeof endUser === "string" && endUser.length > 0) identity.endUser = endUser.slice(0, 256);
  const header = ctx.header("x-tollgate-tags");
  if (header) identity.tags = { ...parseTagHeader(header), ...identity.tags };
  ctx.identity = identity;
  return next();
};
