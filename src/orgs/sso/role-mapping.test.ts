import { describe, expect, test } from "vitest";
import { roleFromClaims } from "./role-mapping.js";

const oidc = {
  groupsClaim: "groups",
  roles: [
    { value: "staff", role: "viewer" as const, teams: [] },
    { value: "red-admins", role: "team_admin" as const, teams: ["red"] },
    { value: "blue-admins", role: "team_admin" as const, teams: ["blue"] },
    { claim: "department", value: "finance", role: "viewer" as const, teams: ["finance"] },
    { claim: "email", value: "root@example.com", role: "owner" as const, teams: [] },
  ],
};

describe("roleFromClaims", () => {
  test("groups (a list claim) and plain claims map to a role; the highest role wins and the teams add up", () => {
    expect(roleFromClaims({ groups: ["staff"] }, oidc)).toEqual({ role: "viewer", teams: [] });
    expect(roleFromClaims({ groups: ["staff", "red-admins", "blue-admins"] }, oidc)).toEqual({ role: "team_admin", teams: ["blue", "red"] });
    expect(roleFromClaims({ department: "finance" }, oidc)).toEqual({ role: "viewer", teams: ["finance"] });
    expect(roleFromClaims({ email: "root@example.com", groups: ["staff"] }, oidc)).toEqual({ role: "owner", teams: [] });
  });

  test("no match, a near miss, or a claim of another type maps to nothing", () => {
    expect(roleFromClaims({}, oidc)).toBeUndefined();
    expect(roleFromClaims({ groups: ["Staff", "red-admins-2"] }, oidc)).toBeUndefined();
    expect(roleFromClaims({ groups: "red-admins-x", department: ["accounting"] }, oidc)).toBeUndefined();
    expect(roleFromClaims({ groups: { staff: true } }, oidc)).toBeUndefined();
  });
});
