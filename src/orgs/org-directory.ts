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
  private readonly teams = new Map<string, { record: Promise<TeamRecord | undefined>; at: number }>();
  private readonly users = new Map<string, { record: Promise<UserRecord | undefined>; at: number }>();

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

  /** Drops a record from the cache (after changing it here). */
  forget(kind: "team" | "user", id: string): void {
    (kind === "team" ? this.teams : this.users).delete(id);
  }

  private cached<T>(cache: Map<string, { record: Promise<T | undefined>; at: number }>, id: string, now: number, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = cache.get(id);
    if (hit && now - hit.at < this.ttlMs) return hit.record;
    const record = load();
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(id, { record, at: now });
    // A failed read is not kept: the next request tries again.
    record.catch(() => {
      if (cache.get(id)?.record === record) cache.delete(id);
    });
    return record;
  }
}
