import { describe, expect, it } from "vitest";
import { corsHeaders, gatewayAllowsOrigin, isSameOrigin } from "./origins.js";

describe("CORS origins", () => {
  it("the gateway's list: exact origins, or any with *", () => {
    expect(gatewayAllowsOrigin(["https://app.example.com"], "https://app.example.com")).toBe(true);
    expect(gatewayAllowsOrigin(["https://app.example.com"], "https://app.example.com:8443")).toBe(false);
    expect(gatewayAllowsOrigin(["https://app.example.com"], "http://app.example.com")).toBe(false);
    expect(gatewayAllowsOrigin(["*"], "http://127.0.0.1:5173")).toBe(true);
    expect(gatewayAllowsOrigin([], "http://127.0.0.1:5173")).toBe(false);
  });

  it("a page the gateway served itself (the dashboard) is not cross-origin", () => {
    expect(isSameOrigin("http://127.0.0.1:8787", "127.0.0.1:8787")).toBe(true);
    expect(isSameOrigin("http://127.0.0.1:5173", "127.0.0.1:8787")).toBe(false);
    expect(isSameOrigin("null", "127.0.0.1:8787")).toBe(false);
    expect(isSameOrigin("http://127.0.0.1:8787", undefined)).toBe(false);
  });

  it("echoes the origin, varies on it, and exposes Tollgate's headers", () => {
    const headers = corsHeaders("https://app.example.com");
    expect(headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect(headers.vary).toBe("Origin");
    expect(headers["access-control-expose-headers"]).toContain("x-tollgate-target");
  });
});
