import { expect, test } from "vitest";
import { resolveConfig } from "../config/resolve.js";
import { banner } from "./banner.js";

const base = { providers: { sim: { type: "simulator" } }, models: { fast: { targets: [{ provider: "sim", model: "sim" }] } } };

test("with single sign-on and no admin key, the banner names the admin API and the provider, and warns of nothing", () => {
  const config = resolveConfig({ ...base, admin: { oidc: { issuer: "https://idp.example.com", clientId: "tollgate", redirectUri: "https://gw.example.com/dashboard/auth/callback" } } });
  const text = banner(config, "http://127.0.0.1:8787", "tollgate.yaml");
  expect(text).toContain("admin API: http://127.0.0.1:8787/admin");
  expect(text).toContain("dashboard sign-in: single sign-on with https://idp.example.com");
  expect(text).not.toContain("WARNING");
});

test("with neither, an open gateway is still announced loudly", () => {
  expect(banner(resolveConfig(base), "http://127.0.0.1:8787", "tollgate.yaml")).toContain("WARNING: no client keys configured");
});
