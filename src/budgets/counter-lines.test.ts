import { expect, test } from "vitest";
import { linesFor, rulesFor, rulesFromLimits } from "./counter-lines.js";
import type { BudgetRule } from "./types.js";
import type { Identity } from "../spec/identity.js";

const at = Date.UTC(2026, 10, 21, 10, 7, 33);
const amounts = { usdNanos: 2_500_000, tokens: 1_200, requests: 1 };
const alice: Identity = { keyId: "key_1", userId: "alice", teamId: "eng", tags: { env: "prod", app: "chat" } };

function rule(scope: BudgetRule["scope"], id: string, extra: Partial<BudgetRule> = {}): BudgetRule {
  return { scope, id, period: "day", unit: "usd", limit: 10_000_000_000, ...extra };
}

const counters = (rules: BudgetRule[], identity: Identity = alice) => linesFor(rules, identity, amounts, at).map((l) => l.counter);

test("a line carries its counter, limit, amount in the rule's unit, window end and subject", () => {
  const [line] = linesFor([rule("user", "*", { unit: "tokens", period: "hour", limit: 50_000 })], alice, amounts, at);
  expect(line).toEqual({
    counter: "tokens:hour:user:alice:2026-11-21T10",
    limit: 50_000,
    amount: 1_200,
    windowEndsAt: Date.UTC(2026, 10, 21, 11),
    rule: rule("user", "*", { unit: "tokens", period: "hour", limit: 50_000 }),
    subject: "alice",
  });
  expect(linesFor([rule("key", "*", { unit: "requests", period: "total" })], alice, amounts, at)[0]).toMatchObject({
    counter: "requests:total:key:key_1:all",
    amount: 1,
    windowEndsAt: Infinity,
  });
  expect(linesFor([rule("team", "*")], alice, amounts, at)[0]).toMatchObject({ counter: "usd:day:team:eng:2026-11-21", amount: 2_500_000 });
});

test("key, user and team rules match '*' or the subject's own id", () => {
  expect(counters([rule("key", "*"), rule("key", "key_1"), rule("key", "key_2")])).toEqual(["usd:day:key:key_1:2026-11-21"]);
  expect(counters([rule("user", "bob"), rule("team", "eng", { period: "month" })])).toEqual(["usd:month:team:eng:2026-11"]);
  expect(counters([rule("user", "*"), rule("team", "*")], { keyId: "key_1" })).toEqual([]);
});

test("tag rules match 'name=value', 'name=*' and '*'", () => {
  expect(counters([rule("tag", "env=prod")])).toEqual(["usd:day:tag:env=prod:2026-11-21"]);
  expect(counters([rule("tag", "env=dev"), rule("tag", "region=*"), rule("tag", "env")])).toEqual([]);
  expect(counters([rule("tag", "app=*", { unit: "tokens" })])).toEqual(["tokens:day:tag:app=chat:2026-11-21"]);
  expect(counters([rule("tag", "*")])).toEqual(["usd:day:tag:env=prod:2026-11-21", "usd:day:tag:app=chat:2026-11-21"]);
  expect(counters([rule("tag", "*")], { keyId: "k" })).toEqual([]);
  expect(counters([rule("tag", "toString=*")])).toEqual([]);
});

test("one counter gets one line: the rule naming the subject wins, then the lowest limit", () => {
  const lines = linesFor([rule("user", "*", { limit: 5 }), rule("user", "alice", { limit: 50 }), rule("user", "alice", { limit: 40 }), rule("user", "*", { limit: 1 })], alice, amounts, at);
  expect(lines.map((l) => [l.counter, l.limit])).toEqual([["usd:day:user:alice:2026-11-21", 40]]);
  const tags = linesFor([rule("tag", "env=prod", { limit: 9 }), rule("tag", "env=*", { limit: 3 }), rule("tag", "*", { limit: 1 })], alice, amounts, at);
  expect(tags.map((l) => l.limit)).toEqual([9, 1]);
});

test("different units, periods and scopes are different counters", () => {
  const both: Identity = { keyId: "x", userId: "x", teamId: "x" };
  const rules = [rule("key", "*"), rule("user", "*"), rule("team", "*"), rule("user", "*", { unit: "tokens" }), rule("user", "*", { period: "hour" })];
  expect(new Set(counters(rules, both)).size).toBe(5);
});

test("subjects are escaped so no two subjects share a counter", () => {
  const subjects = ["a:b", "a%3ab", "a%003ab", "{tag}", "a b", "é", "\ud800", "", "a=b"];
  const names = subjects.map((userId) => counters([rule("user", "*")], { keyId: "k", userId })[0]!);
  expect(new Set(names).size).toBe(subjects.length);
  for (const name of names) expect(name.split(":")).toHaveLength(5);
  expect(names[0]).toBe("usd:day:user:a%003ab:2026-11-21");
  expect(names[3]).not.toMatch(/[{}]/);
});

test("key limits become rules on the key, dollars in nano-dollars", () => {
  expect(
    rulesFromLimits("key", "key_1", {
      budgets: [
        { period: "day", usd: 12.34 },
        { period: "month", usd: 0.1, tokens: 1_000_000 },
      ],
      rpm: 60,
      tpm: 90_000,
    }),
  ).toEqual([
    { scope: "key", id: "key_1", period: "day", unit: "usd", limit: 12_340_000_000 },
    { scope: "key", id: "key_1", period: "month", unit: "usd", limit: 100_000_000 },
    { scope: "key", id: "key_1", period: "month", unit: "tokens", limit: 1_000_000 },
    { scope: "key", id: "key_1", period: "minute", unit: "requests", limit: 60 },
    { scope: "key", id: "key_1", period: "minute", unit: "tokens", limit: 90_000 },
  ]);
  expect(rulesFromLimits("key", "key_1", {})).toEqual([]);
});

test("a key's own limits override a '*' default for keys", () => {
  const rules = [rule("key", "*", { limit: 1_000 }), ...rulesFromLimits("key", "key_1", { budgets: [{ period: "day", usd: 5 }] })];
  expect(linesFor(rules, alice, amounts, at).map((l) => l.limit)).toEqual([5_000_000_000]);
});

test("rules from one limits object follow the subject they are asked for", () => {
  // The same object may be a user's and a team's limits, or a key's before and after its id changes.
  const limits = { rpm: 5 };
  const asKey = rulesFor([], { keyId: "key_1", limits });
  expect(rulesFor([], { keyId: "key_1", limits })).toEqual(asKey);
  expect(rulesFor([], { keyId: "key_2", limits })).toEqual([{ scope: "key", id: "key_2", period: "minute", unit: "requests", limit: 5 }]);
  expect(rulesFor([], { keyId: "key_1", userId: "bob", userLimits: limits, teamId: "red", teamLimits: limits })).toEqual([
    { scope: "user", id: "bob", period: "minute", unit: "requests", limit: 5 },
    { scope: "team", id: "red", period: "minute", unit: "requests", limit: 5 },
  ]);
});
