import fc from "fast-check";
import { expect, test } from "vitest";
import { counterName, linesFor, outranks, rulesFor, rulesFromLimits, type RequestAmounts } from "./counter-lines.js";
import type { BudgetRule, CounterLine } from "./types.js";
import type { Identity } from "../spec/identity.js";
import { windowOf } from "./windows.js";

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

test("lines are those the earlier Map-based choice made, whatever the rules, subjects and windows", () => {
  const word = fc.constantFrom("alice", "bob", "a:b", "é", "env", "prod", "key_1");
  const ruleArb = fc.record({
    scope: fc.constantFrom("key", "user", "team", "tag"),
    id: fc.oneof(
      fc.constant("*"),
      word,
      fc.tuple(word, fc.oneof(word, fc.constant("*"))).map(([n, v]) => `${n}=${v}`),
    ),
    period: fc.constantFrom("minute", "hour", "day", "month", "total"),
    unit: fc.constantFrom("usd", "tokens", "requests"),
    limit: fc.integer({ min: 0, max: 5 }),
  }) as fc.Arbitrary<BudgetRule>;
  const identityArb = fc.record({ keyId: word, userId: word, teamId: word, tags: fc.dictionary(word, word, { maxKeys: 3 }) }, { requiredKeys: ["keyId"] }) as fc.Arbitrary<Identity>;
  // Times a few minutes and months apart: names are remembered per window, and must follow it.
  const atArb = fc.integer({ min: 0, max: 3 }).chain((m) => fc.integer({ min: 0, max: 5 }).map((min) => Date.UTC(2026, 10 + m, 30, 23, 58 + min)));
  fc.assert(
    fc.property(fc.array(ruleArb, { maxLength: 8 }), fc.array(fc.tuple(identityArb, atArb), { minLength: 1, maxLength: 4 }), (rules, calls) => {
      for (const [identity, when] of calls) expect(linesFor(rules, identity, amounts, when)).toEqual(mapLinesFor(rules, identity, amounts, when));
    }),
  );
});

/** linesFor as it was: a Map per request, names built on every call. */
function mapLinesFor(rules: readonly BudgetRule[], identity: Identity, amounts: RequestAmounts, when: number): CounterLine[] {
  const chosen = new Map<string, CounterLine>();
  const choose = (rule: BudgetRule, subject: string) => {
    const window = windowOf(rule.period, when);
    const counter = counterName(rule, subject, window.label);
    const current = chosen.get(counter);
    if (current && !outranks(rule, current.rule)) return;
    const amount = rule.unit === "usd" ? amounts.usdNanos : rule.unit === "tokens" ? amounts.tokens : amounts.requests;
    chosen.set(counter, { counter, limit: rule.limit, amount, windowEndsAt: window.end, rule, subject });
  };
  const tags = identity.tags ?? {};
  for (const rule of rules) {
    if (rule.scope === "tag") {
      const eq = rule.id.indexOf("=");
      const [name, wanted] = [rule.id.slice(0, eq), rule.id.slice(eq + 1)];
      if (rule.id === "*") for (const [n, v] of Object.entries(tags)) choose(rule, `${n}=${v}`);
      else if (eq >= 0 && Object.hasOwn(tags, name) && (wanted === "*" || wanted === tags[name])) choose(rule, `${name}=${tags[name]}`);
      continue;
    }
    const subject = rule.scope === "key" ? identity.keyId : rule.scope === "user" ? identity.userId : identity.teamId;
    if (subject !== undefined && (rule.id === "*" || rule.id === subject)) choose(rule, subject);
  }
  return [...chosen.values()];
}
