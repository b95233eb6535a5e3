import type { KeyLimits } from "../spec/identity.js";
import type { AdminServices } from "./types.js";
import { invalidField } from "./validate.js";

/** Route names must exist: a typo would otherwise make a key that can call nothing. */
export function checkModels(models: readonly string[], services: AdminServices): void {
  const known = services.config.models;
  models.forEach((name, i) => {
    if (!Object.hasOwn(known, name)) throw invalidField(`allowed_models[${i}]`, `unknown model "${name.slice(0, 100)}"; configured: ${Object.keys(known).join(", ") || "none"}.`);
  });
}

/** Drops absent limit fields so the stored JSON holds only what was set. */
export function limitsOf(limits: { budgets?: KeyLimits["budgets"]; rpm?: number; tpm?: number }): KeyLimits {
  const out: KeyLimits = {};
  if (limits.budgets !== undefined)
    out.budgets = limits.budgets.map((b) => ({ period: b.period, ...(b.usd !== undefined ? { usd: b.usd } : {}), ...(b.tokens !== undefined ? { tokens: b.tokens } : {}) }));
  if (limits.rpm !== undefined) out.rpm = limits.rpm;
  if (limits.tpm !== undefined) out.tpm = limits.tpm;
  return out;
}
