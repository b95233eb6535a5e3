import type { KeyLimits } from "../spec/identity.js";
import type { Identity } from "../spec/identity.js";
import { NANOS_PER_USD } from "../pricing/price-table.js";
import type { BudgetRule, CounterLine, Scope, Unit } from "./types.js";
import { windowOf } from "./windows.js";

export interface RequestAmounts {
  usdNanos: number;
  tokens: number;
  requests: number;
}

/**
 * The counters a request must fit into: one line per matching rule, subject and window.
 * When several rules land on the same counter (a "*" default and a rule naming the subject,
 * or duplicates), the one naming the subject wins, then the lowest limit: counting one
 * request twice against one counter would halve its limit.
 */
export function linesFor(rules: readonly BudgetRule[], identity: Identity, amounts: RequestAmounts, at: number): CounterLine[] {
  // A few lines per request: looked through, not indexed by a Map made per request.
  const chosen: CounterLine[] = [];
  for (const rule of rules) {
    if (rule.scope === "tag") {
      for (const subject of tagSubjects(rule.id, identity.tags ?? {})) choose(chosen, rule, subject, amounts, at);
      continue;
    }
    // Key, user and team rules land on at most one subject: no array of them per rule and request.
    const subject = subjectIn(rule.scope, identity);
    if (subject !== undefined && (rule.id === "*" || rule.id === subject)) choose(chosen, rule, subject, amounts, at);
  }
  return chosen;
}

function choose(chosen: CounterLine[], rule: BudgetRule, subject: string, amounts: RequestAmounts, at: number): void {
  const window = windowOf(rule.period, at);
  const counter = counterNameMemo(rule, subject, window.label);
  let i = 0;
  while (i < chosen.length && chosen[i]!.counter !== counter) i++;
  if (i < chosen.length && !outranks(rule, chosen[i]!.rule)) return;
  chosen[i] = { counter, limit: rule.limit, amount: amountIn(rule.unit, amounts), windowEndsAt: window.end, rule, subject };
}

/** Counter names made in a rule's current window, by subject (at most this many kept per rule). */
const MAX_NAMES_PER_RULE = 1024;
const namesMade = new WeakMap<BudgetRule, { label: string; bySubject: Map<string, string> }>();

/**
 * `counterName`, remembered per rule object (config rules, and a key's rules while its record is
 * cached, are the same objects on every request): a name is built from five parts, and the
 * joined string is copied again when first hashed, on every request otherwise.
 */
function counterNameMemo(rule: BudgetRule, subject: string, windowLabel: string): string {
  let made = namesMade.get(rule);
  if (made?.label !== windowLabel) {
    made = { label: windowLabel, bySubject: new Map() };
    namesMade.set(rule, made);
  }
  let name = made.bySubject.get(subject);
  if (name === undefined) {
    if (made.bySubject.size >= MAX_NAMES_PER_RULE) made.bySubject.clear();
    name = counterName(rule, subject, windowLabel);
    made.bySubject.set(subject, name);
  }
  return name;
}

/** Whether `rule` replaces `current` on a counter both land on: the one naming the subject, then the lower limit. */
export function outranks(rule: BudgetRule, current: BudgetRule): boolean {
  const a = specificityOf(rule);
  const b = specificityOf(current);
  return a > b || (a === b && rule.limit < current.limit);
}

/** The counter of `rule` for one subject in the window labelled `windowLabel` (see windows.ts). */
export function counterName(rule: Pick<BudgetRule, "unit" | "period" | "scope">, subject: string, windowLabel: string): string {
  return `${rule.unit}:${rule.period}:${rule.scope}:${escapeSubject(subject)}:${windowLabel}`;
}

/** A key's, user record's or team record's limits as rules on that subject (a team's count every key of the team); dollars become integer nano-dollars. */
export function rulesFromLimits(scope: "key" | "user" | "team", id: string, limits: KeyLimits): BudgetRule[] {
  const rules: BudgetRule[] = [];
  const add = (period: BudgetRule["period"], unit: Unit, limit: number) => rules.push({ scope, id, period, unit, limit });
  for (const budget of limits.budgets ?? []) {
    if (budget.usd !== undefined) add(budget.period, "usd", Math.round(budget.usd * NANOS_PER_USD));
    if (budget.tokens !== undefined) add(budget.period, "tokens", budget.tokens);
  }
  if (limits.rpm !== undefined) add("minute", "requests", limits.rpm);
  if (limits.tpm !== undefined) add("minute", "tokens", limits.tpm);
  return rules;
}

function subjectIn(scope: Exclude<Scope, "tag">, identity: Identity): string | undefined {
  switch (scope) {
    case "key":
      return identity.keyId;
    case "user":
      return identity.userId;
    case "team":
      return identity.teamId;
  }
}

/** "name=value" matches that tag, "name=*" each value of it, "*" each tag: subjects are "name=value". */
function tagSubjects(id: string, tags: Record<string, string>): string[] {
  if (id === "*") return Object.entries(tags).map(([name, value]) => `${name}=${value}`);
  const eq = id.indexOf("=");
  if (eq < 0) return [];
  const name = id.slice(0, eq);
  const wanted = id.slice(eq + 1);
  const value = Object.hasOwn(tags, name) ? tags[name] : undefined;
  return value !== undefined && (wanted === "*" || wanted === value) ? [`${name}=${value}`] : [];
}

function specificityOf(rule: BudgetRule): number {
  if (rule.id === "*") return 0;
  return rule.scope === "tag" && rule.id.endsWith("=*") ? 1 : 2;
}

function amountIn(unit: Unit, amounts: RequestAmounts): number {
  switch (unit) {
    case "usd":
      return amounts.usdNanos;
    case "tokens":
      return amounts.tokens;
    case "requests":
      return amounts.requests;
  }
}

/**
 * Subjects are free text (user ids from a host application, tag values from a header), so
 * everything outside a plain alphabet becomes "%" + four hex digits of its UTF-16 unit:
 * injective (a literal "%" is escaped too), never contains ":" (the counter's separator)
 * or braces (Redis Cluster hash tags), and safe for lone surrogates.
 */
function escapeSubject(subject: string): string {
  // Most subjects need nothing: testing is cheaper than a replace that finds nothing.
  if (PLAIN_SUBJECT.test(subject)) return subject;
  return subject.replace(/[^A-Za-z0-9._~=@+-]/g, (char) => `%${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
const PLAIN_SUBJECT = /^[A-Za-z0-9._~=@+-]*$/;

/** Every rule a caller is held to: the config's, then its key's, user record's and team record's own limits. */
export function rulesFor(configRules: readonly BudgetRule[], identity: Identity): BudgetRule[] {
  const rules = [...configRules];
  if (identity.limits) rules.push(...limitRules("key", identity.keyId, identity.limits));
  if (identity.userLimits && identity.userId !== undefined) rules.push(...limitRules("user", identity.userId, identity.userLimits));
  if (identity.teamLimits && identity.teamId !== undefined) rules.push(...limitRules("team", identity.teamId, identity.teamLimits));
  return rules;
}

/** A key's (user's, team's) limits object is the same one on every request while its record is cached: its rules are made once. */
const limitRulesMade = new WeakMap<KeyLimits, { scope: string; id: string; rules: readonly BudgetRule[] }>();

function limitRules(scope: "key" | "user" | "team", id: string, limits: KeyLimits): readonly BudgetRule[] {
  const made = limitRulesMade.get(limits);
  if (made?.scope === scope && made.id === id) return made.rules;
  const rules = rulesFromLimits(scope, id, limits);
  limitRulesMade.set(limits, { scope, id, rules });
  return rules;
}
