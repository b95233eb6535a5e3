import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { GatewayError } from "../errors/gateway-error.js";
import { renderError } from "../errors/render.js";
import { createKey, getKey, listKeys, revokeKey, updateKey } from "./keys.js";
import { OWNER, testServices, type TestServices } from "./test-support/services.js";
import type { AdminHandler, AdminInput } from "./types.js";

const NOW = Date.parse("2026-11-21T12:00:00Z");
let services: TestServices;

beforeEach(async () => {
  services = await testServices();
});
afterEach(() => services.close());

const call = (handler: AdminHandler, input: Partial<AdminInput> = {}) => handler({ params: {}, query: {}, body: undefined, services, principal: OWNER, now: NOW, ...input });

/** The rendered error a handler throws (the shape the client sees). */
async function failure(promise: Promise<unknown>) {
  const err = await promise.then(
    () => expect.fail("expected the handler to throw"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return renderError(err);
}

type Created = { key: Record<string, unknown> & { id: string }; secret: string };
const create = async (body: unknown) => (await call(createKey, { body })).body as Created;

describe("POST /admin/keys", () => {
  test("201 with the view and the secret; the stored key authenticates with that secret", async () => {
    const result = await call(createKey, {
      body: {
        user_id: "alice",
        name: "search backend",
        team_id: "red",
        allowed_models: ["fast"],
        allowed_origins: ["https://app.example.com", "http://127.0.0.1:5173"],
        tags: { feature: "search" },
        metadata: { owner: "alice@example.com" },
        limits: {
          budgets: [
            { period: "day", usd: 5 },
            { period: "month", tokens: 1_000_000 },
          ],
          rpm: 60,
          tpm: 10_000,
        },
        expires_at: "2027-01-01T00:00:00Z",
      },
    });
    expect(result.status).toBe(201);
    const { key, secret } = result.body as Created;
    expect(secret).toMatch(/^tg_[0-9A-Za-z]{43}$/);
    expect(key).toEqual({
      object: "key",
      id: expect.stringMatching(/^key_[0-9a-f]{16}$/),
      prefix: `${secret.slice(0, 7)}…`,
      name: "search backend",
      user_id: "alice",
      team_id: "red",
      allowed_models: ["fast"],
      allowed_origins: ["https://app.example.com", "http://127.0.0.1:5173"],
      tags: { feature: "search" },
      metadata: { owner: "alice@example.com" },
      limits: {
        budgets: [
          { period: "day", usd: 5 },
          { period: "month", tokens: 1_000_000 },
        ],
        rpm: 60,
        tpm: 10_000,
      },
      status: "active",
      created_at: "2026-11-21T12:00:00.000Z",
      expires_at: "2027-01-01T00:00:00.000Z",
      revoked_at: null,
    });
    expect(JSON.stringify(key)).not.toContain("hash");
    const resolved = await services.virtualKeys.resolve(secret);
    expect(resolved).toMatchObject({ id: key.id, userId: "alice", teamId: "red", allowedModels: ["fast"], allowedOrigins: ["https://app.example.com", "http://127.0.0.1:5173"] });
  });

  test("only user_id is required; absent fields are null or empty", async () => {
    const { key } = await create({ user_id: "bob" });
    expect(key).toMatchObject({ user_id: "bob", name: null, team_id: null, allowed_models: null, allowed_origins: null, tags: {}, metadata: {}, limits: {}, expires_at: null, status: "active" });
  });

  test.each([
    [{}, "user_id", /user_id: is required/],
    [{ user_id: "" }, "user_id", /must not be empty/],
    [{ user_id: 42 }, "user_id", /expected string/],
    [{ user_id: "a", allowed_models: "fast" }, "allowed_models", /expected array/],
    [{ user_id: "a", allowed_models: ["fast", "nope"] }, "allowed_models[1]", /unknown model "nope"; configured: fast, cheap/],
    [{ user_id: "a", tags: { "bad tag": "x" } }, "tags.bad tag", /tag name/],
    [{ user_id: "a", tags: { env: "" } }, "tags.env", /tag value/],
    [{ user_id: "a", limits: { budgets: [{ period: "week", usd: 1 }] } }, "limits.budgets[0].period", /hour.*day.*month.*total/],
    [{ user_id: "a", limits: { budgets: [{ period: "day" }] } }, "limits.budgets[0]", /usd, tokens, or both/],
    [{ user_id: "a", limits: { budgets: [{ period: "day", usd: -1 }] } }, "limits.budgets[0].usd", /./],
    [{ user_id: "a", limits: { rpm: 1.5 } }, "limits.rpm", /expected int/],
    [{ user_id: "a", limits: { rpms: 1 } }, "limits.rpms", /Unknown field: limits.rpms/],
    [{ user_id: "a", expires_at: "tomorrow" }, "expires_at", /ISO 8601/],
    [{ user_id: "a", expires_at: "2020-01-01T00:00:00Z" }, "expires_at", /not in the future/],
    [{ user_id: "a", owner: "x" }, "owner", /Unknown field: owner/],
  ])("400 naming the field: %j", async (body, param, message) => {
    const rendered = await failure(call(createKey, { body }));
    expect(rendered.status).toBe(400);
    expect(rendered.body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_request", param });
    expect(rendered.body.error.message).toMatch(message);
    expect(rendered.body.error.message).toContain(param);
  });

  test("400 for a body that is not an object", async () => {
    const rendered = await failure(call(createKey, { body: ["user_id"] }));
    expect(rendered.status).toBe(400);
    expect(rendered.body.error.message).toMatch(/JSON object/);
  });

  test("expires_at: a date is midnight UTC; a time without an offset is UTC", async () => {
    expect((await create({ user_id: "a", expires_at: "2027-03-01" })).key.expires_at).toBe("2027-03-01T00:00:00.000Z");
    expect((await create({ user_id: "a", expires_at: "2027-03-01T10:30" })).key.expires_at).toBe("2027-03-01T10:30:00.000Z");
    expect((await create({ user_id: "a", expires_at: "2027-03-01T10:30:00+02:00" })).key.expires_at).toBe("2027-03-01T08:30:00.000Z");
  });
});

describe("GET /admin/keys", () => {
  test("lists active keys, filters by user and team, include_revoked adds revoked ones; no hash or secret anywhere", async () => {
    const a = await create({ user_id: "alice", team_id: "red" });
    const b = await create({ user_id: "bob", team_id: "red" });
    const c = await create({ user_id: "alice", team_id: "blue" });
    await call(revokeKey, { params: { id: c.key.id } });

    // Same creation time (pinned), so compare as sets.
    const ids = async (query: Record<string, string>) => ((await call(listKeys, { query })).body as { data: { id: string }[] }).data.map((k) => k.id).sort();
    const sorted = (...list: string[]) => list.sort();
    expect(await ids({})).toEqual(sorted(a.key.id, b.key.id));
    expect(await ids({ user_id: "alice" })).toEqual([a.key.id]);
    expect(await ids({ team_id: "red" })).toEqual(sorted(a.key.id, b.key.id));
    expect(await ids({ user_id: "alice", include_revoked: "true" })).toEqual(sorted(a.key.id, c.key.id));
    expect(await ids({ include_revoked: "false" })).toEqual(sorted(a.key.id, b.key.id));
    expect(await ids({ user_id: "", team_id: "blue", include_revoked: "true" })).toEqual([c.key.id]);

    const all = JSON.stringify((await call(listKeys, { query: { include_revoked: "1" } })).body);
    for (const k of [a, b, c]) expect(all).not.toContain(k.secret);
    expect(all).not.toContain('"hash"');
    const stored = await (await services.keyStore()).get(a.key.id);
    expect(all).not.toContain(stored!.hash);
    expect(JSON.parse(all).object).toBe("list");
  });

  test("400 for an unknown or malformed query parameter", async () => {
    expect((await failure(call(listKeys, { query: { user: "alice" } }))).body.error).toMatchObject({ param: "user", message: "Unknown query parameter: user." });
    expect((await failure(call(listKeys, { query: { include_revoked: "yes" } }))).body.error).toMatchObject({ param: "include_revoked" });
  });
});

describe("GET /admin/keys/:id", () => {
  test("the view; 404 for an unknown id", async () => {
    const { key, secret } = await create({ user_id: "alice" });
    const got = await call(getKey, { params: { id: key.id } });
    expect(got).toEqual({ status: 200, body: key });
    expect(JSON.stringify(got.body)).not.toContain(secret);
    const missing = await failure(call(getKey, { params: { id: "key_0000000000000000" } }));
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ type: "not_found_error", code: "key_not_found", param: "id" });
  });
});

describe("PATCH /admin/keys/:id", () => {
  test("changes the given fields, clears null ones, keeps the rest, and forgets the cached key", async () => {
    const { key, secret } = await create({ user_id: "alice", name: "old", team_id: "red", allowed_models: ["fast"], tags: { env: "dev" }, limits: { rpm: 10 }, expires_at: "2027-01-01" });
    await services.virtualKeys.resolve(secret, NOW);
    const forget = vi.spyOn(services.virtualKeys, "forget");

    const result = await call(updateKey, {
      params: { id: key.id },
      body: { name: "new", team_id: null, allowed_models: null, limits: { rpm: 20, budgets: [{ period: "total", usd: 100 }] }, expires_at: null },
    });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      id: key.id,
      user_id: "alice",
      name: "new",
      team_id: null,
      allowed_models: null,
      tags: { env: "dev" },
      limits: { rpm: 20, budgets: [{ period: "total", usd: 100 }] },
      expires_at: null,
    });
    expect(forget).toHaveBeenCalledWith(key.id);
    // The next lookup reads the database again, so the change is live at once.
    expect(await services.virtualKeys.resolve(secret, NOW + 1)).toMatchObject({ name: "new", limits: { rpm: 20 } });
    expect((await services.virtualKeys.resolve(secret, NOW + 1))?.teamId).toBeUndefined();
  });

  test("user_id cannot change; unknown ids are 404", async () => {
    const { key } = await create({ user_id: "alice" });
    expect((await failure(call(updateKey, { params: { id: key.id }, body: { user_id: "mallory" } }))).body.error).toMatchObject({ param: "user_id", message: "Unknown field: user_id." });
    expect((await failure(call(updateKey, { params: { id: "key_missing" }, body: { name: "x" } }))).status).toBe(404);
    expect((await failure(call(updateKey, { params: { id: key.id }, body: { allowed_models: ["gone"] } }))).body.error.param).toBe("allowed_models[0]");
  });
});

describe("DELETE /admin/keys/:id", () => {
  test("revokes at once (the cache forgets it), is idempotent, and 404s for unknown ids", async () => {
    const { key, secret } = await create({ user_id: "alice" });
    expect(await services.virtualKeys.resolve(secret, NOW)).toMatchObject({ id: key.id });
    expect(await call(revokeKey, { params: { id: key.id } })).toMatchObject({ status: 200, body: { id: key.id, object: "key", revoked: true } });
    expect((await services.virtualKeys.resolve(secret, NOW + 1))?.revokedAt).toBe(NOW);
    expect((await call(getKey, { params: { id: key.id } })).body).toMatchObject({ status: "revoked", revoked_at: new Date(NOW).toISOString() });
    expect((await call(revokeKey, { params: { id: key.id } })).status).toBe(200);
    expect((await failure(call(revokeKey, { params: { id: "key_missing" } }))).status).toBe(404);
  });
});
