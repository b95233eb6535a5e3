import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { renderError } from "../errors/render.js";
import type { Principal } from "../orgs/principal.js";
import type { ResolvedAdmin } from "../config/resolve-admin.js";
import { SessionStore } from "../orgs/sso/session-store.js";
import { AdminAuth, handleAdmin, type AdminCall } from "./router.js";
import { testServices, type TestServices } from "./test-support/services.js";

// Dashboard sessions at the admin API: the cookie signs the person in, a change also needs
// the session's CSRF token and no foreign Origin, an expired session or a disabled user is
// signed out, and an admin key in the header is used instead of any cookie.

const ADMIN_KEY = "adm-sessions-0123456789";
const ADMIN: ResolvedAdmin = {
  keys: [{ secret: ADMIN_KEY, role: "owner", teams: [] }],
  oidc: {
    issuer: "http://127.0.0.1:1",
    clientId: "x",
    redirectUri: "http://127.0.0.1:2/dashboard/auth/callback",
    scopes: ["openid"],
    userClaim: "email",
    groupsClaim: "groups",
    roles: [],
    sessionTtlMinutes: 60,
    secureCookie: true,
  },
};
const OLIVIA: Principal = { actor: "user:olivia", via: "session", role: "owner", teams: [], userId: "olivia" };

let services: TestServices;
let sessions: SessionStore;
let auth: AdminAuth;
beforeEach(async () => {
  services = await testServices();
  sessions = new SessionStore(services.store);
  auth = new AdminAuth(ADMIN, sessions);
});
afterEach(() => services.close());

const call = (over: Partial<AdminCall>) =>
  handleAdmin(auth, services, { method: "GET", path: "/admin/me", query: {}, authorization: undefined, requestId: "adm_s", ...over }).then(
    (r) => ({ status: r.status, body: r.body as Record<string, unknown> }),
    (e: unknown) => renderError(e) as { status: number; body: Record<string, unknown> },
  );

describe("a dashboard session at the admin API", () => {
  test("the cookie signs in; GET /admin/me hands out the CSRF token", async () => {
    const { id, session } = await sessions.create(OLIVIA, 60_000);
    const me = await call({ cookie: `other=1; tollgate_session=${id}` });
    expect(me).toMatchObject({ status: 200, body: { actor: "user:olivia", via: "session", role: "owner", csrf_token: session.csrf } });
    expect((await call({ cookie: "tollgate_session=forged" })).status).toBe(401);
    expect((await call({})).status).toBe(401);
  });

  test("a change needs the CSRF token and no foreign origin; refused ones change nothing", async () => {
    const { id, session } = await sessions.create(OLIVIA, 60_000);
    const create = (over: Partial<AdminCall>) => call({ method: "POST", path: "/admin/teams", cookie: `tollgate_session=${id}`, body: async () => ({ id: "red" }), ...over });
    expect(await create({})).toMatchObject({ status: 403, body: { error: { code: "csrf_failed" } } });
    expect((await create({ csrfToken: `${session.csrf}x` })).status).toBe(403);
    expect((await create({ csrfToken: session.csrf, originMismatch: true })).status).toBe(403);
    expect(await (await services.orgs.store()).listTeams()).toEqual([]);
    expect(await create({ csrfToken: session.csrf })).toMatchObject({ status: 201, body: { id: "red" } });
    const [entry] = await services.audit.list({}, 1);
    expect(entry).toMatchObject({ actor: "user:olivia", via: "session", action: "teams.create", status: 201 });
  });

  test("an expired session, or one whose user was disabled, is signed out", async () => {
    const expired = await sessions.create(OLIVIA, 60_000, Date.now() - 120_000);
    expect((await call({ cookie: `tollgate_session=${expired.id}` })).status).toBe(401);
    const live = await sessions.create(OLIVIA, 60_000);
    const now = Date.now();
    await (await services.orgs.store()).createUser({ id: "olivia", role: "owner", teams: [], tags: {}, limits: {}, createdAt: now, updatedAt: now, disabledAt: now });
    expect(await call({ cookie: `tollgate_session=${live.id}` })).toMatchObject({ status: 401, body: { error: { message: "Your Tollgate user is disabled." } } });
  });

  test("an admin key in the header is used instead of the cookie (and needs no CSRF token)", async () => {
    const { id } = await sessions.create({ ...OLIVIA, role: "viewer" }, 60_000);
    const created = await call({ method: "POST", path: "/admin/teams", authorization: `Bearer ${ADMIN_KEY}`, cookie: `tollgate_session=${id}`, body: async () => ({ id: "blue" }) });
    expect(created.status).toBe(201);
    expect((await call({ authorization: "Bearer wrong", cookie: `tollgate_session=${id}` })).status).toBe(401);
  });

  test("sessions are stored by hash only; deleting one signs it out", async () => {
    const { id } = await sessions.create(OLIVIA, 60_000);
    const rows = await services.sql.query<{ id_hash: string }>("SELECT id_hash FROM tollgate_sessions");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id_hash).not.toContain(id);
    await sessions.delete(id);
    expect((await call({ cookie: `tollgate_session=${id}` })).status).toBe(401);
  });
});
