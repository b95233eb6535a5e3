import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { renderError } from "../errors/render.js";
import { createKey, getKey, listKeys, revokeKey, updateKey } from "./keys.js";
import { AdminAuth, handleAdmin, matchAdminRoute, type AdminCall } from "./router.js";
import { testServices, type TestServices } from "./test-support/services.js";
import { getUsage } from "./usage.js";

const ADMIN = "adm-0123456789abcdef";
let services: TestServices;

beforeEach(async () => {
  services = await testServices();
});
afterEach(() => services.close());

const rendered = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail("expected an error"),
    (e: unknown) => renderError(e),
  );

describe("matchAdminRoute", () => {
  test("maps method and path to a handler, with decoded path parameters", () => {
    expect(matchAdminRoute("GET", "/admin/keys")).toMatchObject({ handler: listKeys, params: {}, hasBody: false, resource: "keys" });
    expect(matchAdminRoute("POST", "/admin/keys/")).toMatchObject({ handler: createKey, hasBody: true });
    expect(matchAdminRoute("GET", "/admin/keys/key_1")).toMatchObject({ handler: getKey, params: { id: "key_1" } });
    expect(matchAdminRoute("PATCH", "/admin/keys/a%2Fb")).toMatchObject({ handler: updateKey, params: { id: "a/b" }, hasBody: true });
    expect(matchAdminRoute("DELETE", "/admin/keys/key_1")).toMatchObject({ handler: revokeKey, hasBody: false });
    expect(matchAdminRoute("GET", "/admin/usage")).toMatchObject({ handler: getUsage });
  });

  test("404 for unknown paths, 405 for a known path with another method, 400 for bad escapes", async () => {
    expect((await rendered(Promise.resolve().then(() => matchAdminRoute("GET", "/admin/nope")))).status).toBe(404);
    expect((await rendered(Promise.resolve().then(() => matchAdminRoute("GET", "/admin/keys/a/b")))).status).toBe(404);
    expect((await rendered(Promise.resolve().then(() => matchAdminRoute("PUT", "/admin/keys")))).body.error.code).toBe("method_not_allowed");
    expect((await rendered(Promise.resolve().then(() => matchAdminRoute("GET", "/admin/keys/%E0%A4%A")))).status).toBe(400);
  });
});

describe("handleAdmin", () => {
  const call = (auth: AdminAuth, over: Partial<AdminCall> = {}) =>
    handleAdmin(auth, services, { method: "GET", path: "/admin/keys", query: {}, authorization: `Bearer ${ADMIN}`, requestId: "adm_test", ...over });
  const owners = (...secrets: string[]) => new AdminAuth({ keys: secrets.map((secret) => ({ secret, role: "owner" as const, teams: [] })) });

  test("with no admin key configured the API is disabled: 404, whatever the credentials", async () => {
    const auth = owners();
    expect(auth.enabled).toBe(false);
    expect((await rendered(call(auth))).status).toBe(404);
    expect((await rendered(call(auth, { authorization: undefined }))).status).toBe(404);
  });

  test("401 without a key, with a wrong one, or with another scheme; the body is not read before authentication", async () => {
    const auth = owners(ADMIN, "second-admin-key");
    const body = vi.fn(async () => ({ user_id: "x" }));
    const missing = await rendered(call(auth, { method: "POST", authorization: undefined, body }));
    expect(missing).toMatchObject({ status: 401, body: { error: { type: "authentication_error", code: "missing_api_key" } } });
    expect((await rendered(call(auth, { authorization: `Bearer ${ADMIN}x` }))).body.error.code).toBe("invalid_api_key");
    expect((await rendered(call(auth, { authorization: `Basic ${ADMIN}` }))).body.error.code).toBe("missing_api_key");
    expect(body).not.toHaveBeenCalled();
    // Authentication comes before routing, so unknown paths say nothing to strangers.
    expect((await rendered(call(auth, { path: "/admin/secret-route", authorization: undefined }))).status).toBe(401);
  });

  test("an admin key (any of them, any case of Bearer) reaches the handler, which gets the body", async () => {
    const auth = owners(ADMIN, "second-admin-key");
    const created = await call(auth, { method: "POST", authorization: "bearer second-admin-key", body: async () => ({ user_id: "alice" }) });
    expect(created.status).toBe(201);
    const list = await call(auth);
    expect(list).toMatchObject({ status: 200, body: { data: [{ user_id: "alice" }] } });
  });
});
