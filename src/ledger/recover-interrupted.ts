import type { BudgetStore } from "../budgets/types.js";
import type { PriceTable } from "../pricing/price-table.js";
import type { RequestRecord } from "../spec/request-record.js";
import { interruptedRecord, settlementOf } from "./journal-entries.js";
import type { Journal, JournalBudgetLine } from "./journal.js";

/**
 * What an earlier process left unfinished. Requests it began upstream and never finished
 * are recorded as `interrupted` (the prompt billed, the output as far as it was relayed,
 * estimated); their budget reservations, and those of requests it finished but died before
 * settling, are settled to what the ledger records instead of waiting to expire.
 */
export function recoverInterrupted(journal: Journal, services: { budgetStore: BudgetStore; prices: PriceTable }, writeLedger: (record: RequestRecord) => void, warn: (message: string) => void): void {
  const settle = (id: string, budget: readonly JournalBudgetLine[] | undefined, record: RequestRecord) => {
    if (!budget?.length) return;
    // Only where still held: the earlier process may have settled it and died before noting so.
    services.budgetStore.settle(id, settlementOf(budget, record), { ifHeld: true }).then(
      () => journal.settled(id),
      (err: unknown) => warn(`budget settlement of request ${id} after a restart failed: ${String(err)}`),
    );
  };
  if (journal.recovered.length > 0) warn(`${journal.recovered.length} request(s) were in flight when the previous process stopped; recorded as interrupted.`);
  for (const open of journal.recovered) {
    const record = interruptedRecord(open, services.prices);
    journal.end(record);
    writeLedger(record);
    settle(open.id, open.budget, record);
  }
  for (const { budget, record } of journal.unsettledRecovered) settle(record.id, budget, record);
  // Called after the settlements, so it reaches the store after them: what the previous process held beyond them is released.
  services.budgetStore.recovered?.().catch((err: unknown) => warn(`releasing the previous process's budget leases failed: ${String(err)}`));
}
