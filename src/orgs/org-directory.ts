import type { OrgStore } from "./org-store.js";
import type { TeamRecord, UserRecord } from "./types.js";

const MAX_CACHED = 10_000;

/**
 * Teams and users for the request path: a key's team and user are read once per `ttlMs`
 * (like the key itself, see keys/virtual-keys.ts), so a budget or a disabled team takes
 * effect within that time on other instances, and at once on the one that changed it.
 */
export class OrgDirectory {
  // The lookup itself is cached, so a burst of requests with a new key reads each record once.
  private readonly teams = new Map<string, Entry<TeamRecord>>();
  private readonly users = new Map<string, Entry<UserRecord>>();

  constructor(
    readonly store: () => Promise<OrgStore>,
    private readonly ttlMs = 5_000,
  ) {}

  team(id: string, now = Date.now()): Promise<TeamRecord | undefined> {
    return this.cached(this.teams, id, now, async () => (await this.store()).getTeam(id));
  }

  user(id: string, now = Date.now()): Promise<UserRecord | undefined> {
    return this.cached(this.users, id, now, async () => (await this.store()).getUser(id));
  }

  /** The team as `team` would answer, if that answer is already here (read within the ttl): no promise to wait on. */
  loadedTeam(id: string, now = Date.now()): Loaded<TeamRecord> | undefined {
    return this.loaded(this.teams, id, now);
  }

  loadedUser(id: string, now = Date.now()): Loaded<UserRecord> | undefined {
    return this.loaded(this.users, id, now);
  }

  /** Drops a record from the cache (after changing it here). */
  forget(kind: "team" | "user", id: string): void {
    (kind === "team" ? this.teams : this.users).delete(id);
  }

  private loaded<T>(cache: Map<string, Entry<T>>, id: string, now: number): Loaded<T> | undefined {
    const hit = cache.get(id);
    return hit?.loaded && now - hit.at < this.ttlMs ? hit : undefined;
  }

  private cached<T>(cache: Map<string, Entry<T>>, id: string, now: number, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = cache.get(id);
    if (hit && now - hit.at < this.ttlMs) return hit.record;
    const record = load();
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    const entry: Entry<T> = { record, at: now, loaded: false, value: undefined };
    cache.set(id, entry);
    record.then(
      (value) => {
        entry.loaded = true;
        entry.value = value;
      },
      // A failed read is not kept: the next request tries again.
      () => {
        if (cache.get(id) === entry) cache.delete(id);
      },
    );
    return record;
  }
}

/** A record read (undefined: there is none). */
export interface Loaded<T> {
  readonly value: T | undefined;
}

interface Entry<T> {
  record: Promise<T | undefined>;
  at: number;
  /** The read answered: `value` is its answer. */
  loaded: boolean;
  value: T | undefined;
}
