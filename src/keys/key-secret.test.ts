import { describe, expect, it } from "vitest";
import { generateKeySecret, hashKeySecret, isVirtualKeySecret } from "./key-secret.js";

describe("key secrets", () => {
  it("hashes to the hex SHA-256 the key store keeps", () => {
    expect(hashKeySecret("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("generates tg_ secrets of 46 characters", () => {
    const secret = generateKeySecret();
    expect(secret).toMatch(/^tg_[0-9A-Za-z]{43}$/);
    expect(isVirtualKeySecret(secret)).toBe(true);
  });
});
