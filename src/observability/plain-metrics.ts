import type { Metric, Registry } from "prom-client";

type LabelValue = string | number | boolean;
type Index<S> = Map<LabelValue, Index<S> | S>;

/**
 * A metric kept as plain numbers, its series found by label values through nested maps: a
 * request builds no label object and hashes no new string (prom-client's own metrics do both
 * on every update). The registry reads them at scrape time: it asks a metric only for its
 * name, help, type and get(), and formats what get() returns like its own metrics'.
 */
abstract class PlainMetric<S> {
  abstract readonly type: "counter" | "histogram";
  readonly aggregator = "sum";
  private index: Index<S> = new Map();
  protected series: { labels: Record<string, string>; state: S }[] = [];

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  protected abstract fresh(): S;

  /** The series of these label values (in labelNames order), made on first use. */
  protected at(values: readonly LabelValue[]): S {
    return this.stateIn(this.indexOf(values, values.length - 1), values, values[values.length - 1]!);
  }

  /** The map that holds the series whose first `depth` label values are `values`' first ones. */
  protected indexOf(values: readonly LabelValue[], depth: number): Index<S> {
    let map = this.index;
    for (let i = 0; i < depth; i++) {
      let next = map.get(values[i]!) as Index<S> | undefined;
      if (!next) map.set(values[i]!, (next = new Map()));
      map = next;
    }
    return map;
  }

  /** In `map` (from indexOf with `prefix`), the series whose last label value is `last`, made on first use. */
  protected stateIn(map: Index<S>, prefix: readonly LabelValue[], last: LabelValue): S {
    let state = map.get(last) as S | undefined;
    if (!state) {
      state = this.fresh();
      map.set(last, state);
      const lastAt = this.labelNames.length - 1;
      this.series.push({ labels: Object.fromEntries(this.labelNames.map((n, i) => [n, String(i === lastAt ? last : prefix[i])])), state });
    }
    return state;
  }

  /** Registry.resetMetrics(). */
  reset(): void {
    this.index = new Map();
    this.series = [];
  }
}

export class PlainCounter extends PlainMetric<{ value: number }> {
  readonly type = "counter";

  protected fresh() {
    return { value: 0 };
  }

  inc(values: readonly LabelValue[], by = 1): void {
    this.at(values).value += by;
  }

  /**
   * inc(`[...prefix, lasts[i]]`, `by[i]`) for each i, the prefix's maps walked once (a request's
   * four token counts share route, provider and model).
   */
  incEach(prefix: readonly LabelValue[], lasts: readonly LabelValue[], by: readonly number[]): void {
    const map = this.indexOf(prefix, prefix.length);
    for (let i = 0; i < lasts.length; i++) this.stateIn(map, prefix, lasts[i]!).value += by[i]!;
  }

  async get() {
    const values = this.series.map((s) => ({ labels: s.labels, value: s.state.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

interface HistogramState {
  /** Observations per bucket (not cumulative); above the last bound: only in count. */
  counts: number[];
  sum: number;
  count: number;
}

export class PlainHistogram extends PlainMetric<HistogramState> {
  readonly type = "histogram";

  constructor(
    registry: Registry,
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly buckets: readonly number[],
  ) {
    super(registry, name, help, labelNames);
  }

  protected fresh(): HistogramState {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }

  observe(values: readonly LabelValue[], value: number): void {
    const s = this.at(values);
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= this.buckets[i]!) {
        s.counts[i]!++;
        break;
      }
    }
    s.sum += value;
    s.count++;
  }

  /** As prom-client's Histogram: cumulative buckets with `le` first, +Inf, then _sum and _count. */
  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const { labels, state } of this.series) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += state.counts[i]!;
        values.push({ labels: { le, ...labels }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: "+Inf", ...labels }, value: state.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: state.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: state.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
