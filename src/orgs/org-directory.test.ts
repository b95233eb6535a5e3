import { expect, test } from "vitest";
import { openStore } from "../store/open-store.js";
import { OrgDirectory } from "./org-directory.js";
import { OrgStore } from "./org-store.js";

test("a burst of lookups reads a record once; after the ttl, or once forgotten, it is read again", async () => {
  const sql = await openStore("sqlite::memory:");
  const store = new OrgStore(sql);
  await store.createTeam({ id: "red", tags: {}, limits: { rpm: 5 }, createdAt: 0, updatedAt: 0 });
  let reads = 0;
  const getTeam = store.getTeam.bind(store);
  store.getTeam = (id) => {
    reads += 1;
    return getTeam(id);
  };
  const orgs = new OrgDirectory(() => Promise.resolve(store), 1000);
  const teams = await Promise.all(Array.from({ length: 50 }, () => orgs.team("red", 10)));
  expect(teams.every((t) => t?.limits.rpm === 5)).toBe(true);
  expect(reads).toBe(1);
  await orgs.team("red", 1009);
  expect(reads).toBe(1);
  await orgs.team("red", 1010);
  expect(reads).toBe(2);
  orgs.forget("team", "red");
  await orgs.team("red", 1011);
  expect(reads).toBe(3);
  await sql.close();
});

test("a record read is at hand without waiting until its ttl ends; a failed read leaves nothing", async () => {
  const sql = await openStore("sqlite::memory:");
  const store = new OrgStore(sql);
  await store.createUser({ id: "alice", role: "member", teams: [], tags: {}, limits: {}, createdAt: 0, updatedAt: 0 });
  let fail = false;
  const getTeam = store.getTeam.bind(store);
  store.getTeam = (id) => (fail ? Promise.reject(new Error("database down")) : getTeam(id));
  const orgs = new OrgDirectory(() => Promise.resolve(store), 1000);
  expect(orgs.loadedUser("alice", 10)).toBeUndefined();
  const reading = orgs.user("alice", 10);
  expect(orgs.loadedUser("alice", 10)).toBeUndefined();
  await reading;
  expect(orgs.loadedUser("alice", 1009)?.value?.id).toBe("alice");
  expect(orgs.loadedUser("alice", 1010)).toBeUndefined();
  // No such team is an answer too.
  await orgs.team("none", 10);
  expect(orgs.loadedTeam("none", 10)).toHaveProperty("value", undefined);
  fail = true;
  await expect(orgs.team("red", 10)).rejects.toThrow("database down");
  expect(orgs.loadedTeam("red", 10)).toBeUndefined();
  await sql.close();
});
