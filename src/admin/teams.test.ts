import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { renderError } from "../errors/render.js";
import { createTeam, disableTeam, getTeam, listTeams, updateTeam } from "./teams.js";
import { OWNER, testServices, type TestServices } from "./test-support/services.js";
import type { AdminHandler, AdminInput } from "./types.js";
import { createUser, listUsers, updateUser } from "./users.js";

const NOW = 1_767_225_600_000;
let services: TestServices;
beforeEach(async () => {
  services = await testServices();
});
afterEach(() => services.close());

/** A record, a list, or an error, as these tests read them. */
type Body = { status?: string; data: { id: string }[]; error: { code: string; param: string | null; message: string } };

const call = (handler: AdminHandler, input: Partial<AdminInput> = {}) =>
  handler({ params: {}, query: {}, body: undefined, services, principal: OWNER, now: NOW, ...input }).then(
    (r) => ({ status: r.status, body: r.body as Body, audit: r.audit }),
    (e: unknown) => ({ ...(renderError(e) as unknown as { status: number; body: Body }), audit: undefined }),
  );

describe("teams", () => {
  test("create, read, update (null clears), disable and re-enable; the audit note carries before and after", async () => {
    const created = await call(createTeam, { body: { id: "red", name: "Red", allowed_models: ["fast"], tags: { cc: "42" }, limits: { budgets: [{ period: "day", usd: 10 }], rpm: 5 } } });
    expect(created).toMatchObject({
      status: 201,
      body: { object: "team", id: "red", name: "Red", allowed_models: ["fast"], tags: { cc: "42" }, limits: { budgets: [{ period: "day", usd: 10 }], rpm: 5 }, status: "active" },
    });
    expect((await call(createTeam, { body: { id: "red" } })).body.error.code).toBe("team_exists");
    const updated = await call(updateTeam, { params: { id: "red" }, body: { name: null, limits: { rpm: 9 } } });
    expect(updated.body).toMatchObject({ name: null, limits: { rpm: 9 } });
    expect(updated.audit).toMatchObject({ before: { name: "Red", limits: { rpm: 5 } }, after: { name: null, limits: { rpm: 9 } } });
    expect((await call(disableTeam, { params: { id: "red" } })).body.status).toBe("disabled");
    expect((await call(listTeams)).body.data).toEqual([]);
    expect((await call(listTeams, { query: { include_disabled: "true" } })).body.data).toHaveLength(1);
    expect((await call(updateTeam, { params: { id: "red" }, body: { disabled: false } })).body.status).toBe("active");
    expect((await call(getTeam, { params: { id: "nope" } })).status).toBe(404);
  });

  test("unknown models, bad ids and unknown fields are 400s naming the field", async () => {
    expect((await call(createTeam, { body: { id: "red", allowed_models: ["gpt-9"] } })).body.error.param).toBe("allowed_models[0]");
    expect((await call(createTeam, { body: { id: "red team" } })).body.error.param).toBe("id");
    expect((await call(createTeam, { body: { id: "red", budget: 5 } })).body.error.message).toBe("Unknown field: budget.");
  });

  test("any body: 201 or a 400, never anything else, and a refused one stores nothing", async () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
    );
    const body = fc.oneof(
      value,
      fc.record({ id: fc.oneof(fc.stringMatching(/^[a-z]{1,8}$/), value), name: value, allowed_models: value, tags: value, limits: value }, { requiredKeys: [] }),
      fc.record({
        id: fc.stringMatching(/^[a-z]{1,8}$/),
        limits: fc.record(
          {
            rpm: fc.oneof(fc.integer({ min: -5, max: 100 }), value),
            budgets: fc.array(fc.record({ period: fc.constantFrom("day", "week"), usd: fc.oneof(fc.double({ min: -1, max: 10 }), value) }, { requiredKeys: [] }), { maxLength: 2 }),
          },
          { requiredKeys: [] },
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (input) => {
        const before = (await (await services.orgs.store()).listTeams()).length;
        const result = await call(createTeam, { body: input });
        const after = (await (await services.orgs.store()).listTeams()).length;
        if (result.status === 201) return after === before + 1;
        return (result.status === 400 || result.body.error.code === "team_exists") && after === before;
      }),
      { numRuns: 300 },
    );
  });
});

describe("users", () => {
  test("create with a role and teams; a role change is audited as users.role; a team filter lists its members", async () => {
    expect((await call(createUser, { body: { id: "alice@example.com", email: "alice@example.com", teams: ["red"] } })).body).toMatchObject({
      object: "user",
      role: "member",
      teams: ["red"],
      email: "alice@example.com",
    });
    await call(createUser, { body: { id: "bob", role: "viewer", teams: ["blue"] } });
    expect((await call(listUsers, { query: { team_id: "red" } })).body.data.map((u) => u.id)).toEqual(["alice@example.com"]);
    const promoted = await call(updateUser, { params: { id: "bob" }, body: { role: "team_admin" } });
    expect(promoted.audit).toMatchObject({ action: "users.role", before: { role: "viewer" }, after: { role: "team_admin" } });
    const renamed = await call(updateUser, { params: { id: "bob" }, body: { name: "Bob" } });
    expect(renamed.audit?.action).toBeUndefined();
    expect((await call(createUser, { body: { id: "carol", role: "admin" } })).body.error.param).toBe("role");
    expect((await call(createUser, { body: { id: "carol", email: "not-an-email" } })).body.error.param).toBe("email");
  });
});
