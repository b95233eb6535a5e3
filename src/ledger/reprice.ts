import type { UsageGroupBy } from "./usage-query.js";
import type { Sql } from "../store/sql.js";
import { costOf, type PriceTable } from "../pricing/price-table.js";
import { tokenizerFamily } from "../pricing/tokenizer-family.js";

export interface RepriceQuery {
  groupBy: UsageGroupBy;
  /** The tag name whose values are the groups (groupBy "tag"). */
  tag?: string;
  /** Epoch ms, [from, to). */
  from: number;
  to: number;
  /** Re-cost as if every request had gone to this model. */
  asModel?: string;
}

export interface RepricedGroup {
  group: string | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  recordedNanos: number;
  repricedNanos: number;
  /** Requests whose model (or the --as-model) has no price in the table: counted at 0. */
  unpriced: number;
  /** Some token counts come from another tokenizer family than the model re-costed on. */
  estimated: boolean;
}

const HOUR_MS = 3_600_000;
const GROUP_COLUMNS: Record<Exclude<UsageGroupBy, "tag">, string> = { key: "r.key_id", user: "r.user_id", team: "r.team_id", model: "r.model", route: "r.route" };

interface Row {
  grp: string | null;
  model: string | null;
  hour: number;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  cost_nanos: number;
  cache_hit: number;
}

/**
 * What the recorded requests of [from, to) would have cost under `prices` (each at the
 * price in force at its hour), beside what was recorded, per group. Nothing is written.
 * Requests are summed per group, model and hour before pricing, so the figure can differ
 * from a per-request sum by rounding, below a nano-dollar per request. The ledger keeps
 * no prompts: with `asModel` token counts carry over, marked estimated when the two
 * models' tokenizers differ.
 */
export async function reprice(sql: Sql, prices: PriceTable, query: RepriceQuery): Promise<RepricedGroup[]> {
  const params: unknown[] = [query.from, query.to];
  let source = "tollgate_ledger_requests r";
  let group: string;
  if (query.groupBy === "tag") {
    if (!query.tag) throw new Error('reprice: groupBy "tag" needs the tag name');
    source = `tollgate_ledger_tags t JOIN tollgate_ledger_requests r ON r.id = t.request_id AND r.started_at = t.started_at AND t.name = $${params.push(query.tag)}`;
    group = "t.value";
  } else group = GROUP_COLUMNS[query.groupBy];
  const hour = `r.started_at - (r.started_at % ${HOUR_MS})`;
  const rows = await sql.query<Row>(
    `SELECT ${group} AS grp, r.model AS model, ${hour} AS hour, r.cache_hit AS cache_hit, COUNT(*) AS requests,
            COALESCE(SUM(r.input_tokens), 0) AS input_tokens, COALESCE(SUM(r.output_tokens), 0) AS output_tokens,
            COALESCE(SUM(r.cached_input_tokens), 0) AS cached_input_tokens, COALESCE(SUM(r.cache_write_tokens), 0) AS cache_write_tokens,
            COALESCE(SUM(r.cost_nanos), 0) AS cost_nanos
       FROM ${source} WHERE r.started_at >= $1 AND r.started_at < $2
      GROUP BY ${group}, r.model, ${hour}, r.cache_hit`,
    params,
  );
  const groups = new Map<string, RepricedGroup>();
  for (const row of rows) {
    const key = JSON.stringify(row.grp);
    const g = groups.get(key) ?? { group: row.grp, requests: 0, inputTokens: 0, outputTokens: 0, recordedNanos: 0, repricedNanos: 0, unpriced: 0, estimated: false };
    g.requests += row.requests;
    g.inputTokens += row.input_tokens;
    g.outputTokens += row.output_tokens;
    g.recordedNanos += row.cost_nanos;
    // A cache hit or replay cost nothing upstream, whatever the prices.
    if (row.cache_hit === 1) {
      groups.set(key, g);
      continue;
    }
    const model = query.asModel ?? row.model;
    const price = model === null ? undefined : prices.lookup(model, row.hour);
    if (price) {
      g.repricedNanos += costOf(price, { inputTokens: row.input_tokens, outputTokens: row.output_tokens, cachedInputTokens: row.cached_input_tokens, cacheWriteTokens: row.cache_write_tokens });
    } else g.unpriced += row.requests;
    if (query.asModel !== undefined && row.model !== null && tokenizerFamily(row.model) !== tokenizerFamily(query.asModel)) g.estimated = true;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.recordedNanos - a.recordedNanos || String(a.group).localeCompare(String(b.group)));
}
