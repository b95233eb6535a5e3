import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { renderError } from "../errors/render.js";
import { storeRule } from "../alerts/rule-store.js";
import { insertRecords } from "../ledger/insert-records.js";
import { makeRecord } from "../ledger/test-support/records.js";
import type { Principal } from "../orgs/principal.js";
import { seesAll } from "../orgs/scope.js";
import { AdminAuth, adminEndpoints, handleAdmin } from "./router.js";
import { testServices, type TestServices } from "./test-support/services.js";

// Every admin endpoint's authorisation in one table: each role × each endpoint × a record
// of the caller's own team (or their own, for a member) and one of another team → the
// status, and no response a caller gets may carry what their role may not see.
//
// The organisation: team "red" (alice and carol) and team "blue" (bob), each with keys,
// requests in the ledger and a team budget. The callers are admin keys with roles.

const NOW = 1_767_225_600_000 + 3_600_000;

const PRINCIPALS = {
  owner: { role: "owner", teams: [] },
  team_admin: { role: "team_admin", teams: ["red"] },
  member: { role: "member", teams: ["red"], user: "alice" },
  viewer: { role: "viewer", teams: [] },
  team_viewer: { role: "viewer", teams: ["red"] },
} as const;
type Caller = keyof typeof PRINCIPALS;
const CALLERS = Object.keys(PRINCIPALS) as Caller[];
const secretOf = (caller: Caller) => `adm-authz-${caller}-0123456789`;

const auth = new AdminAuth({
  keys: CALLERS.map((caller) => {
    const p = PRINCIPALS[caller];
    return { secret: secretOf(caller), role: p.role, teams: [...p.teams], name: caller, ...("user" in p ? { user: p.user } : {}) };
  }),
});

interface World {
  keys: { alice: string; carol: string; bob: string };
  requests: { alice: string; carol: string; bob: string };
}

type Target = "own" | "other";
interface Call {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

/** How each endpoint is called on the caller's own team's record, and on another team's. */
const CALLS: Record<string, (target: Target, w: World) => Call> = {
  "GET /admin/me": () => ({ method: "GET", path: "/admin/me" }),
  "GET /admin/keys": (t) => ({ method: "GET", path: "/admin/keys", query: { team_id: t === "own" ? "red" : "blue" } }),
  "POST /admin/keys": (t) => ({ method: "POST", path: "/admin/keys", body: t === "own" ? { user_id: "alice", team_id: "red" } : { user_id: "bob", team_id: "blue" } }),
  "GET /admin/keys/:id": (t, w) => ({ method: "GET", path: `/admin/keys/${t === "own" ? w.keys.alice : w.keys.bob}` }),
  "PATCH /admin/keys/:id": (t, w) => ({ method: "PATCH", path: `/admin/keys/${t === "own" ? w.keys.alice : w.keys.bob}`, body: { name: "renamed" } }),
  "DELETE /admin/keys/:id": (t, w) => ({ method: "DELETE", path: `/admin/keys/${t === "own" ? w.keys.alice : w.keys.bob}` }),
  "GET /admin/teams": () => ({ method: "GET", path: "/admin/teams" }),
  "POST /admin/teams": (t) => ({ method: "POST", path: "/admin/teams", body: { id: t === "own" ? "red-2" : "blue-2" } }),
  "GET /admin/teams/:id": (t) => ({ method: "GET", path: `/admin/teams/${t === "own" ? "red" : "blue"}` }),
  "PATCH /admin/teams/:id": (t) => ({ method: "PATCH", path: `/admin/teams/${t === "own" ? "red" : "blue"}`, body: { limits: { budgets: [{ period: "day", usd: 1000 }] } } }),
  "DELETE /admin/teams/:id": (t) => ({ method: "DELETE", path: `/admin/teams/${t === "own" ? "red" : "blue"}` }),
  "GET /admin/users": () => ({ method: "GET", path: "/admin/users" }),
  "POST /admin/users": (t) => ({ method: "POST", path: "/admin/users", body: { id: t === "own" ? "dave" : "erin", teams: [t === "own" ? "red" : "blue"] } }),
  "GET /admin/users/:id": (t) => ({ method: "GET", path: `/admin/users/${t === "own" ? "alice" : "bob"}` }),
  "PATCH /admin/users/:id": (t) => ({ method: "PATCH", path: `/admin/users/${t === "own" ? "alice" : "bob"}`, body: { role: "team_admin" } }),
  "DELETE /admin/users/:id": (t) => ({ method: "DELETE", path: `/admin/users/${t === "own" ? "alice" : "bob"}` }),
  "GET /admin/usage": () => ({ method: "GET", path: "/admin/usage", query: { group_by: "team" } }),
  "GET /admin/summary": () => ({ method: "GET", path: "/admin/summary" }),
  "GET /admin/performance": () => ({ method: "GET", path: "/admin/performance" }),
  "GET /admin/requests": () => ({ method: "GET", path: "/admin/requests" }),
  "GET /admin/requests/:id": (t, w) => ({ method: "GET", path: `/admin/requests/${t === "own" ? w.requests.alice : w.requests.bob}` }),
  "GET /admin/budgets": () => ({ method: "GET", path: "/admin/budgets" }),
  "GET /admin/audit": () => ({ method: "GET", path: "/admin/audit" }),
  "GET /admin/audit/export": () => ({ method: "GET", path: "/admin/audit/export" }),
  "GET /admin/alerts": () => ({ method: "GET", path: "/admin/alerts" }),
  "POST /admin/alerts": (t) => ({ method: "POST", path: "/admin/alerts", body: { id: t === "own" ? "budgets-red" : "budgets-blue", kind: "budget", thresholds: [80] } }),
  "POST /admin/alerts/test": () => ({ method: "POST", path: "/admin/alerts/test", body: {} }),
  "DELETE /admin/alerts/:id": (t) => ({ method: "DELETE", path: `/admin/alerts/${t === "own" ? "spend-red" : "spend-blue"}` }),
  "GET /admin/repricing-runs": () => ({ method: "GET", path: "/admin/repricing-runs" }),
  "POST /admin/repricing-runs": (t) => ({
    method: "POST",
    path: "/admin/repricing-runs",
    body: { prices: { "gpt-4o-mini": { input: t === "own" ? 1 : 2, output: 4 } }, from: new Date(NOW - 3_600_000).toISOString(), to: new Date(NOW).toISOString() },
  }),
};

/**
 * The expected status per caller, in the order owner, team_admin, member, viewer,
 * team_viewer: "+" allowed (2xx), "-" refused (403). `own` is the caller's team's record
 * (a member's own), `other` another team's.
 */
const EXPECTED: Record<string, { own: string; other: string }> = {
  "GET /admin/me": { own: "+++++", other: "+++++" },
  "GET /admin/keys": { own: "+++++", other: "+++++" }, // allowed, but narrowed: see the leak check
  "POST /admin/keys": { own: "+++--", other: "+----" },
  "GET /admin/keys/:id": { own: "+++++", other: "+--+-" },
  "PATCH /admin/keys/:id": { own: "+++--", other: "+----" },
  "DELETE /admin/keys/:id": { own: "+++--", other: "+----" },
  "GET /admin/teams": { own: "+++++", other: "+++++" },
  "POST /admin/teams": { own: "+----", other: "+----" },
  "GET /admin/teams/:id": { own: "+++++", other: "+--+-" },
  "PATCH /admin/teams/:id": { own: "+----", other: "+----" },
  "DELETE /admin/teams/:id": { own: "+----", other: "+----" },
  "GET /admin/users": { own: "+++++", other: "+++++" },
  "POST /admin/users": { own: "+----", other: "+----" },
  "GET /admin/users/:id": { own: "+++++", other: "+--+-" },
  "PATCH /admin/users/:id": { own: "+----", other: "+----" },
  "DELETE /admin/users/:id": { own: "+----", other: "+----" },
  "GET /admin/usage": { own: "+++++", other: "+++++" },
  "GET /admin/summary": { own: "+++++", other: "+++++" },
  "GET /admin/performance": { own: "+--+-", other: "+--+-" },
  "GET /admin/requests": { own: "+++++", other: "+++++" },
  "GET /admin/requests/:id": { own: "+++++", other: "+--+-" },
  "GET /admin/budgets": { own: "+++++", other: "+++++" },
  "GET /admin/audit": { own: "+--+-", other: "+--+-" },
  "GET /admin/audit/export": { own: "+--+-", other: "+--+-" },
  // Alert rules and repricing runs are the organisation's: owners change them, whole-org readers read them.
  "GET /admin/alerts": { own: "+--+-", other: "+--+-" },
  "POST /admin/alerts": { own: "+----", other: "+----" },
  "POST /admin/alerts/test": { own: "+----", other: "+----" },
  "DELETE /admin/alerts/:id": { own: "+----", other: "+----" },
  "GET /admin/repricing-runs": { own: "+--+-", other: "+--+-" },
  "POST /admin/repricing-runs": { own: "+----", other: "+----" },
};

/** What a caller may not see, as text that must appear nowhere in a response they get. */
function forbiddenText(caller: Caller, w: World): string[] {
  const p = PRINCIPALS[caller];
  if (p.role === "owner" || p.teams.length === 0) return [];
  const otherTeam = ["blue", "bob", w.keys.bob, w.requests.bob];
  return p.role === "member" ? [...otherTeam, "carol", w.keys.carol, w.requests.carol] : otherTeam;
}

let services: TestServices;
let world: World;

const COSTS = { alice: 1_000, carol: 20_000, bob: 300_000 } as const;
const TEAMS = { alice: "red", carol: "red", bob: "blue" } as const;

beforeEach(async () => {
  // A webhook nobody listens on: a test send answers 200 with its delivery error.
  services = await testServices({ alerts: { webhooks: { ops: { url: "http://127.0.0.1:9/hook" } } } });
  for (const id of ["spend-red", "spend-blue"]) await storeRule(services.sql, { id, kind: "spend_rate", per: "key", windowHours: 1, trailingWindows: 24, factor: 3, minUsd: 5 }, NOW);
  const orgs = await services.orgs.store();
  for (const id of ["red", "blue"]) {
    await orgs.createTeam({ id, name: `${id} team`, tags: {}, limits: { budgets: [{ period: "day", usd: 50 }] }, createdAt: NOW, updatedAt: NOW });
  }
  const keys = {} as World["keys"];
  const requests = {} as World["requests"];
  let n = 0;
  for (const user of ["alice", "carol", "bob"] as const) {
    await orgs.createUser({ id: user, role: "member", teams: [TEAMS[user]], tags: {}, limits: { budgets: [{ period: "day", usd: 5 }] }, createdAt: NOW, updatedAt: NOW });
    const { key } = await (await services.keyStore()).create({ userId: user, teamId: TEAMS[user], name: `${user}-app`, limits: { rpm: 60 } }, NOW);
    keys[user] = key.id;
    n += 1;
    const record = makeRecord(n, { startedAt: NOW - n * 60_000, costNanos: COSTS[user], identity: { keyId: key.id, userId: user, teamId: TEAMS[user], tags: { project: `${user}-project` } } });
    requests[user] = record.id;
    await insertRecords(services.sql, [record]);
  }
  world = { keys, requests };
  // Something in the audit log already, by the owner.
  await handleAdmin(auth, services, {
    method: "PATCH",
    path: `/admin/keys/${keys.bob}`,
    query: {},
    authorization: `Bearer ${secretOf("owner")}`,
    requestId: "adm_setup",
    body: async () => ({ tags: { env: "blue-prod" } }),
  });
});
afterEach(() => services.close());

async function callAs(caller: Caller, call: Call): Promise<{ status: number; text: string; body: unknown }> {
  try {
    const result = await handleAdmin(auth, services, {
      method: call.method,
      path: call.path,
      query: call.query ?? {},
      authorization: `Bearer ${secretOf(caller)}`,
      requestId: "adm_authz",
      body: async () => call.body,
    });
    return { status: result.status, text: typeof result.body === "string" ? result.body : JSON.stringify(result.body), body: result.body };
  } catch (err) {
    const rendered = renderError(err);
    return { status: rendered.status, text: JSON.stringify(rendered.body), body: rendered.body };
  }
}

describe("the authorisation table", () => {
  test("has a row for every admin endpoint, and every endpoint declares who may call it", () => {
    const endpoints = adminEndpoints();
    // A new endpoint fails here until its row is added to CALLS and EXPECTED.
    expect(endpoints.map((e) => e.endpoint).sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(Object.keys(CALLS).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const { endpoint, access } of endpoints) expect(access.roles.length, endpoint).toBeGreaterThan(0);
  });

  const cases = Object.entries(EXPECTED).flatMap(([endpoint, expected]) =>
    (["own", "other"] as const).flatMap((target) => CALLERS.map((caller, i) => ({ endpoint, target, caller, allowed: expected[target][i] === "+" }))),
  );

  test.each(cases)("$caller $endpoint ($target team) → allowed: $allowed", async ({ endpoint, target, caller, allowed }) => {
    const call = CALLS[endpoint]!(target, world);
    const response = await callAs(caller, call);
    if (!allowed) {
      expect(response.status, response.text).toBe(403);
      expect(response.body).toMatchObject({ error: { type: "permission_error", code: "forbidden" } });
      return;
    }
    expect(response.status, response.text).toBeGreaterThanOrEqual(200);
    expect(response.status, response.text).toBeLessThan(300);
    for (const text of forbiddenText(caller, world)) expect(response.text, `${caller} sees "${text}" in ${endpoint}`).not.toContain(text);
  });
});

describe("what a narrowed caller gets is exactly their share", () => {
  const visibleCost = (caller: Caller) => {
    const p: Principal = { actor: caller, via: "admin_key", ...PRINCIPALS[caller], ...("user" in PRINCIPALS[caller] ? { userId: "alice" } : {}) };
    if (seesAll(p)) return COSTS.alice + COSTS.carol + COSTS.bob;
    return p.role === "member" ? COSTS.alice : COSTS.alice + COSTS.carol;
  };

  test.each(CALLERS)("%s: summary and usage totals count only the visible requests, lists only the visible keys", async (caller) => {
    const summary = (await callAs(caller, { method: "GET", path: "/admin/summary", query: { from: String(NOW - 86_400_000), to: String(NOW) } })).body as { cost_nanos: number; requests: number };
    expect(summary.cost_nanos).toBe(visibleCost(caller));
    const usage = (await callAs(caller, { method: "GET", path: "/admin/usage", query: { group_by: "user", from: String(NOW - 86_400_000), to: String(NOW) } })).body as {
      totals: { cost_nanos: number }[];
    };
    expect(usage.totals.reduce((sum, t) => sum + t.cost_nanos, 0)).toBe(visibleCost(caller));
    const keys = (await callAs(caller, { method: "GET", path: "/admin/keys" })).body as { data: { user_id: string }[] };
    const expectedUsers = PRINCIPALS[caller].role === "member" ? ["alice"] : PRINCIPALS[caller].teams.length ? ["alice", "carol"] : ["alice", "bob", "carol"];
    expect(keys.data.map((k) => k.user_id).sort()).toEqual(expectedUsers);
  });

  test("a team admin sees their team's budget and their keys' limits, not another team's", async () => {
    const budgets = (await callAs("team_admin", { method: "GET", path: "/admin/budgets" })).body as { data: { scope: string; subject: string }[] };
    expect(budgets.data.map((b) => `${b.scope}:${b.subject}`).sort()).toEqual([`key:${world.keys.alice}`, `key:${world.keys.carol}`, "team:red", "user:alice", "user:carol"].sort());
  });

  test("refused changes are in the audit log too, with who tried", async () => {
    await callAs("member", CALLS["DELETE /admin/keys/:id"]!("other", world));
    const audit = (await callAs("owner", { method: "GET", path: "/admin/audit", query: { action: "keys.delete" } })).body as { data: { actor: string; status: number; resource_id: string }[] };
    expect(audit.data).toEqual([expect.objectContaining({ actor: "admin-key:member", status: 403, resource_id: world.keys.bob })]);
  });
});
