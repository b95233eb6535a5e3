/** Money is counted in integer nano-dollars (budgets, the ledger, costs): this many to a dollar. */
export const NANOS_PER_USD = 1_000_000_000;
