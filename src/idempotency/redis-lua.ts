/**
 * The Redis idempotency scripts. A key is one hash: state "running" (owner, fingerprint) whose
 * TTL is the holder's lease, then state "done" (fingerprint, replay) whose TTL is the retention.
 * Each script reads and writes it atomically; completing or releasing publishes the key.
 */

/** KEYS[1]; ARGV: owner, fingerprint, leaseMs. Insert-if-absent with a TTL, like SET NX PX. */
export const BEGIN_LUA = `
local f = redis.call('HMGET', KEYS[1], 'state', 'fingerprint', 'replay')
if not f[1] then
  redis.call('HSET', KEYS[1], 'state', 'running', 'owner', ARGV[1], 'fingerprint', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'acquired'}
end
if f[1] == 'done' then return {'done', f[2], f[3]} end
return {'running', f[2]}
`;

/** The holder's check, shared by the scripts below. */
const HELD = `
local f = redis.call('HMGET', KEYS[1], 'state', 'owner')
if f[1] ~= 'running' or f[2] ~= ARGV[1] then return 0 end
`;

/** KEYS[1]; ARGV: owner, leaseMs. */
export const RENEW_LUA = `${HELD}
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`;

/** KEYS[1]; ARGV: owner, replay (JSON), retentionMs, channel, message. */
export const COMPLETE_LUA = `${HELD}
redis.call('HSET', KEYS[1], 'state', 'done', 'replay', ARGV[2])
redis.call('HDEL', KEYS[1], 'owner')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`;

/** KEYS[1]; ARGV: owner, channel, message. */
export const RELEASE_LUA = `${HELD}
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;
