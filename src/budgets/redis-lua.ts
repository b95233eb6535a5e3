/**
 * Lua for `RedisBudgetStore`. Each counter is three keys: `s` a hash {spent, reserved, ends},
 * `r` a hash reservation id → amount, `e` a sorted set reservation id → expiry (epoch ms).
 * KEYS holds them as triples, one per line; ARGV[1] is now (negative: use the server's
 * TIME) and ARGV[2] the grace a counter outlives its window by. `ends` is the window's end
 * in epoch ms, or -1 for "total" (never).
 */
const PRELUDE = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local grace = tonumber(ARGV[2])

-- Lua numbers print as "1e+15" past 14 digits; Redis wants plain integers.
local function int(x)
  return string.format('%d', x)
end

-- A window past its grace limits no one: its keys go, as PEXPIREAT would have done.
local function dropped(s, r, e, ends)
  if ends >= 0 and ends + grace <= now then
    redis.call('DEL', s, r, e)
    return true
  end
  return false
end

-- Reservations whose TTL passed (an instance died before settling) stop holding capacity.
local function release_expired(s, r, e)
  while true do
    local ids = redis.call('ZRANGEBYSCORE', e, '-inf', now, 'LIMIT', 0, 500)
    if #ids == 0 then return end
    local amounts = redis.call('HMGET', r, unpack(ids))
    local sum = 0
    for _, amount in ipairs(amounts) do sum = sum + (tonumber(amount) or 0) end
    redis.call('HDEL', r, unpack(ids))
    redis.call('ZREM', e, unpack(ids))
    redis.call('HINCRBY', s, 'reserved', int(-sum))
  end
end

local function keep_until(s, r, e, ends)
  if ends >= 0 then
    local at = int(ends + grace)
    redis.call('PEXPIREAT', s, at)
    redis.call('PEXPIREAT', r, at)
    redis.call('PEXPIREAT', e, at)
  end
end
`;

/** ARGV[3] reservation id, ARGV[4] TTL ms, then per line: limit, amount, ends. Returns {failed line index or -1, remaining}. */
export const RESERVE_LUA = `${PRELUDE}
local id, ttl = ARGV[3], tonumber(ARGV[4])
local n = #KEYS / 3
for i = 1, n do
  local s, r, e = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  if not dropped(s, r, e, tonumber(ARGV[4 + 3 * i])) then release_expired(s, r, e) end
end
-- Lines may name one counter twice; each must fit on top of the others.
local pending = {}
for i = 1, n do
  local s = KEYS[3 * i - 2]
  local limit, amount = tonumber(ARGV[2 + 3 * i]), tonumber(ARGV[3 + 3 * i])
  local state = redis.call('HMGET', s, 'spent', 'reserved')
  local used = (tonumber(state[1]) or 0) + (tonumber(state[2]) or 0) + (pending[s] or 0)
  if used + amount > limit then
    return {i - 1, math.max(0, limit - used)}
  end
  pending[s] = (pending[s] or 0) + amount
end
local expires = int(now + ttl)
for i = 1, n do
  local s, r, e = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local amount, ends = ARGV[3 + 3 * i], ARGV[4 + 3 * i]
  redis.call('HINCRBY', s, 'reserved', amount)
  redis.call('HSET', s, 'ends', ends)
  redis.call('HINCRBY', r, id, amount)
  redis.call('ZADD', e, expires, id)
  keep_until(s, r, e, tonumber(ends))
end
return {-1, 0}
`;

/** ARGV[3] reservation id, ARGV[4] "1" to settle only counters still holding it, then per line: actual amount, ends. */
export const SETTLE_LUA = `${PRELUDE}
local id = ARGV[3]
local only_held = ARGV[4] == '1'
for i = 1, #KEYS / 3 do
  local s, r, e = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local amount, ends = ARGV[3 + 2 * i], ARGV[4 + 2 * i]
  if not dropped(s, r, e, tonumber(ends)) then
    -- Still held (expired or not, it is counted in reserved until released): release it.
    local held = redis.call('HGET', r, id)
    if held then
      redis.call('HDEL', r, id)
      redis.call('ZREM', e, id)
      redis.call('HINCRBY', s, 'reserved', int(-tonumber(held)))
    end
    -- Actual usage is a fact: it counts even past the limit or after the reservation expired
    -- (unless this settlement is a replay, which counts only where the reservation is still held).
    if held or not only_held then
      redis.call('HINCRBY', s, 'spent', amount)
      redis.call('HSET', s, 'ends', ends)
      keep_until(s, r, e, tonumber(ends))
    end
  end
end
return 0
`;

/** Returns spent, reserved for each counter, flattened. */
export const READ_LUA = `${PRELUDE}
local out = {}
for i = 1, #KEYS / 3 do
  local s, r, e = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local ends = tonumber(redis.call('HGET', s, 'ends'))
  if ends == nil or dropped(s, r, e, ends) then
    out[#out + 1] = 0
    out[#out + 1] = 0
  else
    release_expired(s, r, e)
    local state = redis.call('HMGET', s, 'spent', 'reserved')
    out[#out + 1] = tonumber(state[1]) or 0
    out[#out + 1] = tonumber(state[2]) or 0
  end
end
return out
`;
