import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signatureHeader, verifySignature } from "./signature.js";

const SECRET = "whsec_test_5d1f";
const NOW = 1_900_000_000;

describe("tollgate-signature", () => {
  it("verifies a body signed with the secret, within the tolerance", () => {
    const body = JSON.stringify({ type: "tollgate.alert", summary: "ünïcode ✓" });
    const header = signatureHeader(SECRET, body, NOW);
    expect(header).toMatch(/^t=1900000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, header, body, { nowSeconds: NOW + 299 })).toBe(true);
    // Several v1 values (a secret being rotated): one match is enough.
    expect(verifySignature(SECRET, `${header},v1=${"0".repeat(64)}`, body, { nowSeconds: NOW })).toBe(true);
  });

  it("refuses another body, another secret, an old timestamp, or a missing part", () => {
    const body = '{"a":1}';
    const header = signatureHeader(SECRET, body, NOW);
    expect(verifySignature(SECRET, header, '{"a":2}', { nowSeconds: NOW })).toBe(false);
    expect(verifySignature("other", header, body, { nowSeconds: NOW })).toBe(false);
    expect(verifySignature(SECRET, header, body, { nowSeconds: NOW + 301 })).toBe(false);
    expect(verifySignature(SECRET, header.replace(/t=\d+,/, ""), body, { nowSeconds: NOW })).toBe(false);
    expect(verifySignature(SECRET, header.replace(/,v1=.*/, ""), body, { nowSeconds: NOW })).toBe(false);
  });

  it("never throws on arbitrary headers, and never accepts one not made with the secret", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (header, body) => {
        expect(verifySignature(SECRET, header, body, { nowSeconds: NOW })).toBe(false);
      }),
    );
  });
});
