/**
 * Lua both Redis budget stores share (`RedisLeaseStore`, and `RedisBudgetStore` of the
 * releases before leases, in test-support). Each counter is three keys: `s` a hash {spent, reserved, ends},
 * `r` a hash reservation id → amount, `e` a sorted set reservation id → expiry (epoch ms).
 * KEYS holds them as triples; ARGV[1] is now (negative: use the server's TIME) and
 * ARGV[2] the grace a counter outlives its window by. `ends` is the window's end
 * in epoch ms, or -1 for "total" (never).
 */
export const PRELUDE = `
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
