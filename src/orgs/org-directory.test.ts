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
