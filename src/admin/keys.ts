import { NotFoundError } from "../errors/gateway-error.js";
import type { KeyPatch, NewKey } from "../keys/key-store.js";
import type { KeyRecord } from "../keys/types.js";
import { ForbiddenError } from "../errors/org-errors.js";
import type { Principal } from "../orgs/principal.js";
import { keyVisible, keyWritable } from "../orgs/scope.js";
import { createKeySchema, listKeysQuery, updateKeySchema } from "./key-schemas.js";
import { keyView } from "./key-view.js";
import { parseInstant } from "./time.js";
import type { AdminHandler, AdminServices } from "./types.js";
import { invalidField, parseWith } from "./validate.js";
import { checkModels, limitsOf } from "./profile-fields.js";

const notFound = (id: string) => new NotFoundError("key_not_found", `No key with id "${id.slice(0, 100)}".`, { param: "id" });

function expiry(value: string, now: number): number {
  const at = parseInstant(value, "expires_at");
  if (at <= now) throw invalidField("expires_at", `${new Date(at).toISOString()} is not in the future.`);
  return at;
}

/** A key the caller may read, else 404 (none) or 403 (another team's or user's). */
async function visibleKey(id: string, principal: Principal, services: AdminServices): Promise<KeyRecord> {
  const key = await (await services.keyStore()).get(id);
  if (!key) throw notFound(id);
  if (!keyVisible(principal, key)) throw new ForbiddenError(`Key ${id.slice(0, 100)} belongs to another ${principal.role === "member" ? "user" : "team"}.`);
  return key;
}

function assertWritable(principal: Principal, key: { userId: string; teamId?: string | undefined }, what: string): void {
  if (keyWritable(principal, key)) return;
  if (principal.role === "team_admin") throw new ForbiddenError(`A team admin ${what} keys of their teams (${principal.teams.join(", ")}) only; set team_id to one of them.`);
  throw new ForbiddenError(`A member ${what} their own keys only (user_id ${principal.userId ?? "(none)"}${principal.teams.length ? `, team one of ${principal.teams.join(", ")}` : ", no team"}).`);
}

/** POST /admin/keys → 201 { key, secret }: the only time the secret is ever shown. */
export const createKey: AdminHandler = async ({ body, services, principal, now = Date.now() }) => {
  const input = parseWith(createKeySchema, body, "body");
  assertWritable(principal, { userId: input.user_id, teamId: input.team_id }, "creates");
  if (input.allowed_models) checkModels(input.allowed_models, services);
  const key: NewKey = { userId: input.user_id };
  if (input.name !== undefined) key.name = input.name;
  if (input.team_id !== undefined) key.teamId = input.team_id;
  if (input.allowed_models !== undefined) key.allowedModels = input.allowed_models;
  if (input.allowed_origins !== undefined) key.allowedOrigins = input.allowed_origins;
  if (input.tags !== undefined) key.tags = input.tags;
  if (input.metadata !== undefined) key.metadata = input.metadata;
  if (input.limits !== undefined) key.limits = limitsOf(input.limits);
  if (input.expires_at !== undefined) key.expiresAt = expiry(input.expires_at, now);
  const created = await (await services.keyStore()).create(key, now);
  const view = keyView(created.key, now);
  return { status: 201, body: { key: view, secret: created.secret }, audit: { id: view.id, after: view } };
};

/** GET /admin/keys?user_id=&team_id=&include_revoked=true: the keys the caller may see. */
export const listKeys: AdminHandler = async ({ query, services, principal, now = Date.now() }) => {
  const q = parseWith(listKeysQuery, query, "query");
  const filter: { userId?: string; teamId?: string; includeRevoked?: boolean } = {};
  if (q.user_id !== undefined) filter.userId = q.user_id;
  if (q.team_id !== undefined) filter.teamId = q.team_id;
  if (q.include_revoked !== undefined) filter.includeRevoked = q.include_revoked;
  const keys = (await (await services.keyStore()).list(filter)).filter((k) => keyVisible(principal, k));
  return { status: 200, body: { object: "list", data: keys.map((k) => keyView(k, now)) } };
};

/** GET /admin/keys/:id */
export const getKey: AdminHandler = async ({ params, services, principal, now = Date.now() }) => {
  return { status: 200, body: keyView(await visibleKey(params.id!, principal, services), now) };
};

/** PATCH /admin/keys/:id: the fields of create but user_id; null clears one. Takes effect at once on this instance. */
export const updateKey: AdminHandler = async ({ params, body, services, principal, now = Date.now() }) => {
  const id = params.id!;
  const input = parseWith(updateKeySchema, body, "body");
  const before = await visibleKey(id, principal, services);
  assertWritable(principal, before, "changes");
  // Moving a key to another team needs the right to that team too.
  if (input.team_id !== undefined) assertWritable(principal, { userId: before.userId, teamId: input.team_id ?? undefined }, "moves");
  if (input.allowed_models) checkModels(input.allowed_models, services);
  const patch: KeyPatch = {};
  if (input.name !== undefined) patch.name = input.name ?? undefined;
  if (input.team_id !== undefined) patch.teamId = input.team_id ?? undefined;
  if (input.allowed_models !== undefined) patch.allowedModels = input.allowed_models ?? undefined;
  if (input.allowed_origins !== undefined) patch.allowedOrigins = input.allowed_origins ?? undefined;
  if (input.tags !== undefined) patch.tags = input.tags ?? {};
  if (input.metadata !== undefined) patch.metadata = input.metadata ?? {};
  if (input.limits !== undefined) patch.limits = input.limits === null ? {} : limitsOf(input.limits);
  if (input.expires_at !== undefined) patch.expiresAt = input.expires_at === null ? undefined : expiry(input.expires_at, now);
  const updated = await (await services.keyStore()).update(id, patch);
  services.virtualKeys.forget(id);
  if (!updated) throw notFound(id);
  const view = keyView(updated, now);
  return { status: 200, body: view, audit: { before: keyView(before, now), after: view } };
};

/** DELETE /admin/keys/:id: revokes (idempotent); the key stops working at once on this instance. */
export const revokeKey: AdminHandler = async ({ params, services, principal, now = Date.now() }) => {
  const id = params.id!;
  const key = await visibleKey(id, principal, services);
  assertWritable(principal, key, "revokes");
  const store = await services.keyStore();
  if (key.revokedAt === undefined) await store.revoke(id, now);
  services.virtualKeys.forget(id);
  const after = await store.get(id);
  return { status: 200, body: { id, object: "key", revoked: true }, audit: { action: "keys.revoke", before: keyView(key, now), after: after ? keyView(after, now) : null } };
};
