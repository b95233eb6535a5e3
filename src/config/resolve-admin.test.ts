import { describe, expect, test } from "vitest";
import { ConfigError, resolveConfig } from "./resolve.js";

const base = { providers: { sim: { type: "simulator" } }, models: { fast: { targets: [{ provider: "sim", model: "sim" }] } } };

function issuesOf(admin: unknown, env: Record<string, string> = {}): { path: string; message: string }[] {
  try {
    resolveConfig({ ...base, admin }, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("admin keys with roles, and OIDC, in config", () => {
  test("the plain list still means owner keys; the object form carries role, teams, user and name", () => {
    const config = resolveConfig(
      {
        ...base,
        admin: { keys: ["env:A", { key: "env:B", role: "team_admin", teams: ["red"], name: "ci-red" }, { key: { env: "C" }, role: "member", user: "alice" }, { key: "env:D", role: "viewer" }] },
      },
      { A: "adm-a-0123456789", B: "adm-b-0123456789", C: "adm-c-0123456789", D: "adm-d-0123456789" },
    );
    expect(config.adminKeys).toEqual(["adm-a-0123456789", "adm-b-0123456789", "adm-c-0123456789", "adm-d-0123456789"]);
    expect(config.admin.keys).toEqual([
      { secret: "adm-a-0123456789", role: "owner", teams: [] },
      { secret: "adm-b-0123456789", role: "team_admin", teams: ["red"], name: "ci-red" },
      { secret: "adm-c-0123456789", role: "member", teams: [], user: "alice" },
      { secret: "adm-d-0123456789", role: "viewer", teams: [] },
    ]);
    expect(config.admin.oidc).toBeUndefined();
  });

  test("a team admin without teams, a member without a user, or an unknown role is refused with its path", () => {
    expect(issuesOf({ keys: [{ key: "k-0123456789", role: "team_admin" }] })).toEqual([{ path: "admin.keys[0].teams", message: "a team_admin key names its teams" }]);
    expect(issuesOf({ keys: [{ key: "k-0123456789", role: "member" }] })).toEqual([{ path: "admin.keys[0].user", message: "a member key names its user" }]);
    expect(issuesOf({ keys: [{ key: "k-0123456789", role: "root" }] })[0]!.path).toBe("admin.keys[0]");
    expect(issuesOf({ keys: [{ key: "env:MISSING" }] })).toEqual([{ path: "admin.keys[0].key", message: "Environment variable MISSING is not set." }]);
  });

  test("oidc: defaults, a secret read from the environment, and the URL fields checked", () => {
    const config = resolveConfig(
      {
        ...base,
        admin: {
          oidc: {
            issuer: "https://idp.example.com",
            clientId: "tollgate",
            clientSecret: "env:OIDC",
            redirectUri: "https://gw.example.com/dashboard/auth/callback",
            roles: [{ value: "admins", role: "owner" }],
          },
        },
      },
      { OIDC: "oidc-client-secret-0123" },
    );
    expect(config.admin.oidc).toEqual({
      issuer: "https://idp.example.com",
      clientId: "tollgate",
      clientSecret: "oidc-client-secret-0123",
      redirectUri: "https://gw.example.com/dashboard/auth/callback",
      scopes: ["openid", "email", "profile"],
      userClaim: "email",
      groupsClaim: "groups",
      roles: [{ value: "admins", role: "owner", teams: [] }],
      sessionTtlMinutes: 480,
      secureCookie: true,
    });
    expect(issuesOf({ oidc: { issuer: "not a url", clientId: "x", redirectUri: "https://gw.example.com/cb" } })[0]!.path).toBe("admin.oidc.issuer");
  });
});
