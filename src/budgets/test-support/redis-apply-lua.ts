import { PRELUDE } from "../redis-lua.js";

/**
 * Reservations and settlements, any number of each, applied in the order given, as if each
 * were a script of its own: a reservation adds to every line or to none. KEYS holds each
 * counter once; ARGV[3 ..] each counter's `ends`, then the operations:
 *   'r', id, TTL ms, n, then n × (counter, limit, amount)    reserve
 *   's', id, '1' to settle only where still held, n, then n × (counter, amount)    settle
 * where counter is the counter's position in KEYS (1 for the first triple). Returns, for each
 * reservation in order: the index of the first line that did not fit (-1: reserved) and
 * what was left on it.
 *
 * Per call rather than per operation: expired reservations are released, each counter's
 * state is read, and its totals, end and expiry are written once; in between the script
 * keeps each counter's usage itself, which nothing else can change while it runs.
 */
export const APPLY_LUA = `${PRELUDE}
local c = #KEYS / 3
local alive, base, dspent, dreserved, touched = {}, {}, {}, {}, {}
for i = 1, c do
  local s, r, e = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  alive[i] = not dropped(s, r, e, tonumber(ARGV[2 + i]))
  if alive[i] then release_expired(s, r, e) end
  dspent[i], dreserved[i] = 0, 0
end

-- spent + reserved, including what this call has changed so far.
local function used(i)
  if base[i] == nil then
    local state = redis.call('HMGET', KEYS[3 * i - 2], 'spent', 'reserved')
    base[i] = (tonumber(state[1]) or 0) + (tonumber(state[2]) or 0)
  end
  return base[i] + dspent[i] + dreserved[i]
end

local out = {}
local p = 3 + c
while p <= #ARGV do
  local kind, id, param, n, first = ARGV[p], ARGV[p + 1], ARGV[p + 2], tonumber(ARGV[p + 3]), p + 4
  if kind == 'r' then
    p = first + 3 * n
    -- Lines may name one counter twice; each must fit on top of the others.
    local pending, failed, remaining = {}, -1, 0
    for j = 0, n - 1 do
      local i, limit, amount = tonumber(ARGV[first + 3 * j]), tonumber(ARGV[first + 3 * j + 1]), tonumber(ARGV[first + 3 * j + 2])
      local u = used(i) + (pending[i] or 0)
      if u + amount > limit then
        failed, remaining = j, math.max(0, limit - u)
        break
      end
      pending[i] = (pending[i] or 0) + amount
    end
    if failed < 0 then
      local expires = int(now + tonumber(param))
      for j = 0, n - 1 do
        local i, amount = tonumber(ARGV[first + 3 * j]), ARGV[first + 3 * j + 2]
        dreserved[i] = dreserved[i] + tonumber(amount)
        touched[i] = true
        redis.call('HINCRBY', KEYS[3 * i - 1], id, amount)
        redis.call('ZADD', KEYS[3 * i], expires, id)
      end
    end
    out[#out + 1] = failed
    out[#out + 1] = remaining
  else
    p = first + 2 * n
    local only_held = param == '1'
    for j = 0, n - 1 do
      local i = tonumber(ARGV[first + 2 * j])
      if alive[i] then
        -- Still held (expired ones were released above, as the memory store does): release it.
        local held = redis.call('HGET', KEYS[3 * i - 1], id)
        if held then
          redis.call('HDEL', KEYS[3 * i - 1], id)
          redis.call('ZREM', KEYS[3 * i], id)
          dreserved[i] = dreserved[i] - tonumber(held)
        end
        -- Actual usage is a fact: it counts even past the limit or after the reservation expired
        -- (unless this settlement is a replay, which counts only where the reservation is still held).
        if held or not only_held then
          dspent[i] = dspent[i] + tonumber(ARGV[first + 2 * j + 1])
          touched[i] = true
        end
      end
    end
  end
end

for i = 1, c do
  local s = KEYS[3 * i - 2]
  if dspent[i] ~= 0 then redis.call('HINCRBY', s, 'spent', int(dspent[i])) end
  if dreserved[i] ~= 0 then redis.call('HINCRBY', s, 'reserved', int(dreserved[i])) end
  if touched[i] then
    redis.call('HSET', s, 'ends', ARGV[2 + i])
    keep_until(s, KEYS[3 * i - 1], KEYS[3 * i], tonumber(ARGV[2 + i]))
  end
end
return out
`;
