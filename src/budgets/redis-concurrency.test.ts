import { afterAll, beforeAll, expect, test } from "vitest";
import { mulberry32, randomInt, seedMessage, testSeed } from "../../test/support/fixtures.js";
import { RedisLeaseStore } from "./redis-lease-store.js";
import { RedisBudgetStore } from "./test-support/redis-store.js";
import { connected, deleteKeysUnder, testClient, uniquePrefix } from "./test-support/redis.js";
import type { CounterLine } from "./types.js";
import { windowOf } from "./windows.js";

const prefix = uniquePrefix("redis-concurrency");
// Three connections stand for three gateway instances sharing the counters.
const clients = [testClient(), testClient(), testClient()];

beforeAll(() => Promise.all(clients.map(connected)));
afterAll(async () => {
  await deleteKeysUnder(clients[0]!, prefix);
  for (const client of clients) client.disconnect();
});

const limits = { usd: 1_000_000, tokens: 800_000 };
const end = windowOf("day", Date.now()).end;
/** A line of today's usd or tokens counter, shared by every instance. */
const line = (counter: keyof typeof limits, amount: number): CounterLine => ({
  counter,
  limit: limits[counter],
  amount,
  windowEndsAt: end,
  subject: "k",
  rule: { scope: "key", id: "*", period: "day", unit: counter, limit: limits[counter] },
});

test("500 concurrent reservations from 3 instances never overshoot, and rejected ones leave no trace", async () => {
  const seed = testSeed();
  const rng = mulberry32(seed);
  const instances = clients.map((client) => new RedisBudgetStore(client, prefix));
  const requests = Array.from({ length: 500 }, (_, i) => ({
    id: `req-${i}`,
    usd: randomInt(rng, 0, 5_000),
    tokens: randomInt(rng, 0, 4_000),
  }));

  const results = await Promise.all(requests.map((r, i) => instances[i % 3]!.reserve(r.id, [line("usd", r.usd), line("tokens", r.tokens)], 60_000)));
  const accepted = requests.filter((_, i) => results[i]!.ok);
  const rejected = requests.filter((_, i) => !results[i]!.ok);
  const sum = (list: typeof requests, unit: "usd" | "tokens") => list.reduce((total, r) => total + r[unit], 0);
  const message = seedMessage(seed, `${accepted.length} accepted`);

  expect(rejected.length, message).toBeGreaterThan(0);
  const [usd, tokens] = await instances[0]!.read(["usd", "tokens"]);
  // All-or-nothing: each counter holds exactly the accepted requests' amounts...
  expect(usd, message).toEqual({ spent: 0, reserved: sum(accepted, "usd") });
  expect(tokens, message).toEqual({ spent: 0, reserved: sum(accepted, "tokens") });
  expect(usd!.reserved, message).toBeLessThanOrEqual(limits.usd);
  expect(tokens!.reserved, message).toBeLessThanOrEqual(limits.tokens);
  // ...and every rejection was deserved: it did not fit even beside the final total.
  for (const [i, r] of requests.entries()) {
    const result = results[i]!;
    if (result.ok) continue;
    const unit = result.line === 0 ? "usd" : "tokens";
    expect(r[unit], message).toBeGreaterThan(limits[unit] - (unit === "usd" ? usd!.reserved : tokens!.reserved));
  }
  const heldIds = await clients[0]!.hkeys(`{${prefix}}:r:usd`);
  expect(heldIds.sort(), message).toEqual(accepted.map((r) => r.id).sort());

  const actual = accepted.map((r) => ({ ...r, usd: randomInt(rng, 0, r.usd), tokens: randomInt(rng, 0, r.tokens) }));
  await Promise.all(actual.map((r, i) => instances[i % 3]!.settle(r.id, [line("usd", r.usd), line("tokens", r.tokens)])));
  const [usdAfter, tokensAfter] = await instances[1]!.read(["usd", "tokens"]);
  expect(usdAfter, message).toEqual({ spent: sum(actual, "usd"), reserved: 0 });
  expect(tokensAfter, message).toEqual({ spent: sum(actual, "tokens"), reserved: 0 });
  expect(usdAfter!.spent, message).toBeLessThanOrEqual(limits.usd);
  expect(tokensAfter!.spent, message).toBeLessThanOrEqual(limits.tokens);
  expect(await clients[0]!.exists(`{${prefix}}:r:usd`, `{${prefix}}:e:usd`), message).toBe(0);
});

test("500 concurrent reservations from 3 instances drawing leases never overshoot, and everything is spent or handed back", async () => {
  const seed = testSeed();
  const rng = mulberry32(seed);
  const leasePrefix = `${prefix}:leases`;
  const instances = clients.map((client) => new RedisLeaseStore(client, leasePrefix));
  const requests = Array.from({ length: 500 }, (_, i) => ({ id: `req-${i}`, instance: i % 3, usd: randomInt(rng, 0, 5_000), tokens: randomInt(rng, 0, 4_000) }));
  const results = await Promise.all(requests.map((r) => instances[r.instance]!.reserve(r.id, [line("usd", r.usd), line("tokens", r.tokens)], 60_000)));
  const accepted = requests.filter((_, i) => results[i]!.ok);
  const sum = (list: typeof requests, unit: "usd" | "tokens") => list.reduce((total, r) => total + r[unit], 0);
  const message = seedMessage(seed, `${accepted.length} accepted`);

  expect(accepted.length, message).toBeLessThan(requests.length);
  expect(sum(accepted, "usd"), message).toBeLessThanOrEqual(limits.usd);
  expect(sum(accepted, "tokens"), message).toBeLessThanOrEqual(limits.tokens);
  // What Redis holds (spend and every instance's lease) never passes the limit either.
  for (const unit of ["usd", "tokens"] as const) {
    const [spent, reserved] = await clients[0]!.hmget(`{${leasePrefix}}:s:${unit}`, "spent", "reserved");
    expect(Number(spent ?? 0) + Number(reserved ?? 0), message).toBeLessThanOrEqual(limits[unit]);
  }

  const actual = accepted.map((r) => ({ ...r, usd: randomInt(rng, 0, r.usd), tokens: randomInt(rng, 0, r.tokens) }));
  await Promise.all(actual.map((r) => instances[r.instance]!.settle(r.id, [line("usd", r.usd), line("tokens", r.tokens)])));
  await Promise.all(instances.map((store) => store.close()));
  const [usdAfter, tokensAfter] = await new RedisBudgetStore(clients[1]!, leasePrefix).read(["usd", "tokens"]);
  expect(usdAfter, message).toEqual({ spent: sum(actual, "usd"), reserved: 0 });
  expect(tokensAfter, message).toEqual({ spent: sum(actual, "tokens"), reserved: 0 });
  expect(await clients[0]!.exists(`{${leasePrefix}}:r:usd`, `{${leasePrefix}}:e:usd`), message).toBe(0);
});
