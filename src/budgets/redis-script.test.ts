import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { RedisScript } from "./redis-script.js";
import { connected, testClient } from "./test-support/redis.js";

const redis = testClient();

beforeAll(() => connected(redis));
afterAll(() => redis.disconnect());

test("a script the server does not know is sent once, then run by its SHA", async () => {
  const script = new RedisScript(`return ARGV[1] .. '-${randomUUID()}'`);
  expect(await script.run(redis, [], ["first"])).toMatch(/^first-/);
  expect(await script.run(redis, [], ["second"])).toMatch(/^second-/);
});
