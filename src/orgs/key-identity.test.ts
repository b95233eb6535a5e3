import { beforeEach, describe, expect, test } from "vitest";
import { renderError } from "../errors/render.js";
import type { KeyRecord } from "../keys/types.js";
import { openStore } from "../store/open-store.js";
import { keyIdentity, knownKeyIdentity } from "./key-identity.js";
import { OrgDirectory } from "./org-directory.js";
import { OrgStore } from "./org-store.js";

const NOW = 1_767_225_600_000;
const key: KeyRecord = {
  id: "key_1",
  hash: "h",
  prefix: "tg_1…",
  userId: "alice",
  teamId: "red",
  allowedModels: ["fast", "big"],
  tags: { env: "prod" },
  metadata: {},
  limits: { rpm: 10 },
  createdAt: NOW,
};

let store: OrgStore;
let orgs: OrgDirectory;
beforeEach(async () => {
  store = new OrgStore(await openStore("sqlite::memory:"));
  orgs = new OrgDirectory(() => Promise.resolve(store));
});

describe("keyIdentity", () => {
  test("known at once, without a promise, only once both records were read", async () => {
    await store.createUser({ id: "alice", role: "member", teams: ["red"], tags: { owner: "alice" }, limits: {}, createdAt: NOW, updatedAt: NOW });
    expect(knownKeyIdentity(key, orgs, NOW)).toBeUndefined();
    const identity = await keyIdentity(key, orgs, NOW);
    expect(knownKeyIdentity(key, orgs, NOW)).toEqual(identity);
    expect(knownKeyIdentity({ ...key, teamId: "blue" }, orgs, NOW)).toBeUndefined();
  });

  test("without team or user records, the key alone", async () => {
    expect(await keyIdentity(key, orgs, NOW)).toEqual({ keyId: "key_1", userId: "alice", teamId: "red", tags: { env: "prod" }, limits: { rpm: 10 }, allowedModels: ["fast", "big"] });
  });

  test("team and user records add their limits, narrow the models, and put their tags under the key's", async () => {
    await store.createTeam({
      id: "red",
      allowedModels: ["fast", "cheap"],
      tags: { env: "dev", cost_center: "cc-1" },
      limits: { budgets: [{ period: "day", usd: 100 }] },
      createdAt: NOW,
      updatedAt: NOW,
    });
    await store.createUser({ id: "alice", role: "member", teams: ["red"], tags: { owner: "alice" }, limits: { tpm: 1000 }, createdAt: NOW, updatedAt: NOW });
    expect(await keyIdentity(key, orgs, NOW)).toEqual({
      keyId: "key_1",
      userId: "alice",
      teamId: "red",
      tags: { env: "prod", cost_center: "cc-1", owner: "alice" },
      limits: { rpm: 10 },
      allowedModels: ["fast"],
      userLimits: { tpm: 1000 },
      teamLimits: { budgets: [{ period: "day", usd: 100 }] },
    });
  });

  test("a disabled team or user refuses the key (401) as soon as the change is made here", async () => {
    await store.createTeam({ id: "red", tags: {}, limits: {}, createdAt: NOW, updatedAt: NOW });
    await keyIdentity(key, orgs, NOW);
    await store.updateTeam("red", { disabledAt: NOW }, NOW);
    // Cached for a while on other instances; here the admin handler forgets it.
    await expect(keyIdentity(key, orgs, NOW + 1)).resolves.toMatchObject({ keyId: "key_1" });
    orgs.forget("team", "red");
    const refused = await keyIdentity(key, orgs, NOW + 2).catch((e: unknown) => renderError(e));
    expect(refused).toMatchObject({ status: 401, body: { error: { message: "API key key_1 belongs to team red, which is disabled." } } });
    await store.updateTeam("red", { disabledAt: null }, NOW);
    await store.createUser({ id: "alice", role: "member", teams: [], tags: {}, limits: {}, createdAt: NOW, updatedAt: NOW, disabledAt: NOW });
    const later = NOW + 10_000;
    expect(await keyIdentity(key, orgs, later).catch((e: unknown) => renderError(e).status)).toBe(401);
  });
  test("the models are those the key, its user and its team all allow, in the key's order", async () => {
    await store.createTeam({ id: "red", allowedModels: ["big", "fast", "tiny"], tags: {}, limits: {}, createdAt: NOW, updatedAt: NOW });
    await store.createUser({ id: "alice", role: "member", teams: ["red"], allowedModels: ["tiny", "big", "fast"], tags: {}, limits: {}, createdAt: NOW, updatedAt: NOW });
    const wide = { ...key, allowedModels: ["fast", "other", "big"] };
    expect((await keyIdentity(wide, orgs, NOW)).allowedModels).toEqual(["fast", "big"]);
    await store.updateTeam("red", { allowedModels: ["fast"] }, NOW);
    orgs.forget("team", "red");
    expect((await keyIdentity(wide, orgs, NOW)).allowedModels).toEqual(["fast"]);
    const open = { ...key, allowedModels: undefined };
    expect((await keyIdentity(open, orgs, NOW)).allowedModels).toEqual(["fast"]);
  });

  test("once read, the team and user records answer from the cache until their ttl ends, and then are read again", async () => {
    await store.createTeam({ id: "red", tags: { team: "red" }, limits: {}, createdAt: NOW, updatedAt: NOW });
    await store.createUser({ id: "alice", role: "member", teams: ["red"], tags: {}, limits: {}, createdAt: NOW, updatedAt: NOW });
    expect((await keyIdentity(key, orgs, NOW)).tags).toEqual({ env: "prod", team: "red" });
    await store.updateTeam("red", { tags: { team: "blue" } }, NOW);
    await store.updateUser("alice", { disabledAt: NOW }, NOW);
    expect((await keyIdentity(key, orgs, NOW + 4_999)).tags).toEqual({ env: "prod", team: "red" });
    const refused = await keyIdentity(key, orgs, NOW + 5_000).catch((e: unknown) => renderError(e));
    expect(refused).toMatchObject({ status: 401, body: { error: { message: "API key key_1 belongs to a disabled user." } } });
    await store.updateUser("alice", { disabledAt: null }, NOW);
    orgs.forget("user", "alice");
    expect((await keyIdentity(key, orgs, NOW + 5_001)).tags).toEqual({ env: "prod", team: "blue" });
  });
});
