/**
 * A memo bounded by the total weight of its keys, in two generations: new entries go to the
 * young map; when it is half full it becomes the old one and the oldest entries go at once.
 * A hit in the old map moves the entry to the young one, so what keeps coming back stays.
 *
 * Not a Map with its first key deleted at each insertion: V8 leaves deleted entries in place
 * until the table is rebuilt, and a walk from the front steps over all of them (tens of µs per
 * insertion once such a memo is full).
 */
export class BoundedMemo<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private youngWeight = 0;

  /** `maxWeight`: most total weight held (both generations); `weigh`: a key's weight. */
  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (key: string) => number,
  ) {}

  get(key: string): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: string, value: V): void {
    const weight = this.weigh(key);
    if (this.youngWeight + weight > this.maxWeight / 2) {
      this.old = this.young;
      this.young = new Map();
      this.youngWeight = 0;
    }
    this.young.set(key, value);
    this.youngWeight += weight;
  }
}
