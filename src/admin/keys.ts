import { NotFoundError } from "../errors/gateway-error.js";
import type { KeyPatch, NewKey } from "../keys/key-store.js";
import type { KeyLimits } from "../keys/types.js";
import { createKeySchema, listKeysQuery, updateKeySchema } from "./key-schemas.js";
import { keyView } from "./key-view.js";
import { parseInstant } from "./time.js";
import type { AdminHandler, AdminServices } from "./types.js";
import { invalidField, parseWith } from "./validate.js";

const notFound = (id: string) => new NotFoundError("key_not_found", `No key with id "${id.slice(0, 100)}".`, { param: "id" });

/** Route names must exist: a typo would otherwise make a key that can call nothing. */
function checkModels(models: readonly string[], services: AdminServices): void {
  const known = services.config.models;
  models.forEach((name, i) => {
    if (!Object.hasOwn(known, name)) throw invalidField(`allowed_models[${i}]`, `unknown model "${name.slice(0, 100)}"; configured: ${Object.keys(known).join(", ") || "none"}.`);
  });
}

function expiry(value: string, now: number): number {
  const at = parseInstant(value, "expires_at");
  if (at <= now) throw invalidField("expires_at", `${new Date(at).toISOString()} is not in the future.`);
  return at;
}

/** Drops absent limit fields so the stored JSON holds only what was set. */
function limitsOf(limits: { budgets?: KeyLimits["budgets"]; rpm?: number; tpm?: number }): KeyLimits {
  const out: KeyLimits = {};
  if (limits.budgets !== undefined) out.budgets = limits.budgets.map((b) => ({ period: b.period, ...(b.usd !== undefined ? { usd: b.usd } : {}), ...(b.tokens !== undefined ? { tokens: b.tokens } : {}) }));
  if (limits.rpm !== undefined) out.rpm = limits.rpm;
  if (limits.tpm !== undefined) out.tpm = limits.tpm;
  return out;
}

/** POST /admin/keys → 201 { key, secret }: the only time the secret is ever shown. */
export const createKey: AdminHandler = async ({ body, services, now = Date.now() }) => {
  const input = parseWith(createKeySchema, body, "body");
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
  return { status: 201, body: { key: keyView(created.key, now), secret: created.secret } };
};

/** GET /admin/keys?user_id=&team_id=&include_revoked=true */
export const listKeys: AdminHandler = async ({ query, services, now = Date.now() }) => {
  const q = parseWith(listKeysQuery, query, "query");
  const filter: { userId?: string; teamId?: string; includeRevoked?: boolean } = {};
  if (q.user_id !== undefined) filter.userId = q.user_id;
  if (q.team_id !== undefined) filter.teamId = q.team_id;
  if (q.include_revoked !== undefined) filter.includeRevoked = q.include_revoked;
  const keys = await (await services.keyStore()).list(filter);
  return { status: 200, body: { object: "list", data: keys.map((k) => keyView(k, now)) } };
};

/** GET /admin/keys/:id */
export const getKey: AdminHandler = async ({ params, services, now = Date.now() }) => {
  const id = params.id!;
  const key = await (await services.keyStore()).get(id);
  if (!key) throw notFound(id);
  return { status: 200, body: keyView(key, now) };
};

/** PATCH /admin/keys/:id: the fields of create but user_id; null clears one. Takes effect at once on this instance. */
export const updateKey: AdminHandler = async ({ params, body, services, now = Date.now() }) => {
  const id = params.id!;
  const input = parseWith(updateKeySchema, body, "body");
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
  const store = await services.keyStore();
  if (!(await store.get(id))) throw notFound(id);
  const updated = await store.update(id, patch);
  services.virtualKeys.forget(id);
  if (!updated) throw notFound(id);
  return { status: 200, body: keyView(updated, now) };
};

/** DELETE /admin/keys/:id: revokes (idempotent); the key stops working at once on this instance. */
export const revokeKey: AdminHandler = async ({ params, services, now = Date.now() }) => {
  const id = params.id!;
  const store = await services.keyStore();
  const key = await store.get(id);
  if (!key) throw notFound(id);
  if (key.revokedAt === undefined) await store.revoke(id, now);
  services.virtualKeys.forget(id);
  return { status: 200, body: { id, object: "key", revoked: true } };
};
