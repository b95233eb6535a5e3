import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import { assertAllowedLiteral, BlockedAddressError, guardedLookup, isPrivateAddress } from "./ssrf-guard.js";

function lookupWith(addresses: LookupAddress[], allowPrivate = false, all = false): Promise<{ err: Error | null; address: unknown }> {
  const lookup = guardedLookup(allowPrivate, (_host, callback) => callback(null, addresses));
  return new Promise((resolve) => lookup("service.example", { all }, (err, address) => resolve({ err, address })));
}

describe("isPrivateAddress", () => {
  it.each([
    "10.0.0.1",
    "10.255.255.255",
    "192.168.1.10",
    "172.16.0.1",
    "172.31.255.1",
    "127.0.0.1",
    "127.8.9.10",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "::1",
    "::",
    "fd00::1",
    "fc00::5",
    "fe80::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.1.2.3",
    "::ffff:a9fe:a9fe",
    "64:ff9b::7f00:1",
    "not-an-ip",
  ])("refuses %s", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"])("allows %s", (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe("assertAllowedLiteral", () => {
  it.each(["http://10.0.0.7/x", "http://192.168.0.1:8080/", "http://127.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:80/", "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/"])(
    "refuses %s",
    (url) => {
      expect(() => assertAllowedLiteral(new URL(url), false)).toThrow(BlockedAddressError);
    },
  );

  it("lets a tool with allowPrivateNetwork reach them, and any name through (names are checked when resolved)", () => {
    expect(() => assertAllowedLiteral(new URL("http://127.0.0.1/"), true)).not.toThrow();
    expect(() => assertAllowedLiteral(new URL("http://localhost/"), false)).not.toThrow();
  });
});

describe("guardedLookup", () => {
  it("refuses a name when any of its addresses is private", async () => {
    const { err } = await lookupWith([
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.1", family: 4 },
    ]);
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect(err!.message).toContain("10.0.0.1");
  });

  it("hands the socket exactly the address it checked", async () => {
    expect(await lookupWith([{ address: "93.184.216.34", family: 4 }])).toEqual({ err: null, address: "93.184.216.34" });
    expect(await lookupWith([{ address: "2606:4700::1111", family: 6 }], false, true)).toEqual({ err: null, address: [{ address: "2606:4700::1111", family: 6 }] });
  });

  it("allows private addresses when the tool allows them", async () => {
    expect(await lookupWith([{ address: "127.0.0.1", family: 4 }], true)).toEqual({ err: null, address: "127.0.0.1" });
  });

  it("refuses localhost through the system resolver", async () => {
    const lookup = guardedLookup(false);
    const err = await new Promise<Error | null>((resolve) => lookup("localhost", {}, (e) => resolve(e)));
    expect(err).toBeInstanceOf(BlockedAddressError);
  });
});
