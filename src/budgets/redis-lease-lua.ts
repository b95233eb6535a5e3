import { PRELUDE } from "./redis-lua.js";

/**
 * Lua for `RedisLeaseStore`. Counters are the same three keys as `RedisBudgetStore`'s (`s`, `r`,
 * `e`); a lease is a reservation in `r`/`e` whose id is the instance's lease id, so it counts in
 * `reserved` and every instance's check (`spent + reserved + amount ≤ limit`) sees it.
 *
 * KEYS: [1] the owner's done marks (a sorted set: request id → when its settlement was applied),
 * [2] the owner's leased counters (a set of `s` keys), then each counter's `s`, `r`, `e`.
 * ARGV: now, grace, the lease id, the owner's lease id prefix, the lease TTL (ms), the share of
 * what remains one draw may take beyond its need, how many done marks to keep; then each
 * counter's `ends` (-2: read it from `s`); then the operations, applied in order:
 *   'x', n, n × (counter, amount)                   hand back part of the lease
 *   't', n, n × (counter, take, spend)              spend: `take` moves from the lease, `spend` is added to spent
 *   'm', n, n × id                                  done marks for settlements applied in this call
 *   'd', n, m, n × (counter, limit, amount), m × (counter, avail, want)
 *        a request's lines, all or nothing: `avail` of each counter is already held in the
 *        lease for it; the rest is drawn, plus up to `want` more, at most `share` of what remains
 *   'p', id, n, n × (counter, amount)               a replayed settlement (settle only where held)
 *   'z', n, n × counter                             release the owner's earlier leases (a restart's recovery is done)
 * where counter is the counter's position (1 for the first triple). Returns, for each 'd', the
 * index of the first line that did not fit (-1: drawn) and what was left for it; then, for each
 * counter, what this lease holds on it afterwards and its spent + reserved. Every lease held on a counter of the call is
 * renewed to now + TTL.
 */
export const LEASE_LUA = `${PRELUDE}
local lease, owner, lease_ttl, share, max_marks = ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local marks, owners = KEYS[1], KEYS[2]
local c = (#KEYS - 2) / 3
local function S(i) return KEYS[3 * i] end
local function R(i) return KEYS[3 * i + 1] end
local function E(i) return KEYS[3 * i + 2] end

local alive, ends, base, dspent, dreserved, touched, mine, had = {}, {}, {}, {}, {}, {}, {}, {}
for i = 1, c do
  ends[i] = tonumber(ARGV[7 + i])
  if ends[i] == -2 then ends[i] = tonumber(redis.call('HGET', S(i), 'ends')) end
  alive[i] = ends[i] ~= nil and not dropped(S(i), R(i), E(i), ends[i])
  if alive[i] then release_expired(S(i), R(i), E(i)) end
  dspent[i], dreserved[i] = 0, 0
  mine[i] = alive[i] and (tonumber(redis.call('HGET', R(i), lease)) or 0) or 0
  had[i] = mine[i]
end

local function used(i)
  if base[i] == nil then
    local state = redis.call('HMGET', S(i), 'spent', 'reserved')
    base[i] = (tonumber(state[1]) or 0) + (tonumber(state[2]) or 0)
  end
  return base[i] + dspent[i] + dreserved[i]
end

-- Changes this lease by delta; a decrease never takes more than the lease holds (it may have expired).
local function add_mine(i, delta)
  if delta < 0 then delta = math.max(delta, -mine[i]) end
  mine[i] = mine[i] + delta
  dreserved[i] = dreserved[i] + delta
  touched[i] = true
end

-- The owner's other leases on counter i (an earlier process's, left by a crash): field → amount.
local function earlier_leases(i)
  local found, cursor = {}, '0'
  repeat
    local page = redis.call('HSCAN', R(i), cursor, 'MATCH', owner .. '*', 'COUNT', 100)
    cursor = page[1]
    for k = 1, #page[2], 2 do
      if page[2][k] ~= lease then found[#found + 1] = { page[2][k], tonumber(page[2][k + 1]) } end
    end
  until cursor == '0'
  return found
end

local function take_from(i, field, held, amount)
  local t = math.min(held, amount)
  if t >= held then
    redis.call('HDEL', R(i), field)
    redis.call('ZREM', E(i), field)
  else
    redis.call('HINCRBY', R(i), field, int(-t))
  end
  dreserved[i] = dreserved[i] - t
  touched[i] = true
  return t
end

local out, marked = {}, false
local p = 8 + c
while p <= #ARGV do
  local kind = ARGV[p]
  if kind == 'x' then
    local n = tonumber(ARGV[p + 1])
    for j = 0, n - 1 do
      local i = tonumber(ARGV[p + 2 + 2 * j])
      if alive[i] then add_mine(i, -tonumber(ARGV[p + 3 + 2 * j])) end
    end
    p = p + 2 + 2 * n
  elseif kind == 't' then
    local n = tonumber(ARGV[p + 1])
    for j = 0, n - 1 do
      local i = tonumber(ARGV[p + 2 + 3 * j])
      if alive[i] then
        add_mine(i, -tonumber(ARGV[p + 3 + 3 * j]))
        dspent[i] = dspent[i] + tonumber(ARGV[p + 4 + 3 * j])
      end
    end
    p = p + 2 + 3 * n
  elseif kind == 'm' then
    local n = tonumber(ARGV[p + 1])
    for j = 0, n - 1 do redis.call('ZADD', marks, int(now), ARGV[p + 2 + j]) end
    marked = marked or n > 0
    p = p + 2 + n
  elseif kind == 'd' then
    local n, m = tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2])
    local first, extras = p + 3, p + 3 + 3 * n
    p = extras + 3 * m
    local avail, want = {}, {}
    for k = 0, m - 1 do
      local i = tonumber(ARGV[extras + 3 * k])
      avail[i], want[i] = tonumber(ARGV[extras + 3 * k + 1]), tonumber(ARGV[extras + 3 * k + 2])
    end
    -- Lines may name one counter twice; each must fit on top of the others.
    local cum, limits, failed, remaining = {}, {}, -1, 0
    for j = 0, n - 1 do
      local i, limit, amount = tonumber(ARGV[first + 3 * j]), tonumber(ARGV[first + 3 * j + 1]), tonumber(ARGV[first + 3 * j + 2])
      cum[i] = (cum[i] or 0) + amount
      limits[i] = limit
      local a = avail[i] or 0
      local u = used(i)
      if u + math.max(0, cum[i] - a) > limit then
        -- What is left for this line: the limit less everyone else's use and this request's earlier lines.
        failed, remaining = j, math.max(0, limit - u + a - (cum[i] - amount))
        break
      end
    end
    if failed < 0 then
      for i, total in pairs(cum) do
        local need = math.max(0, total - (avail[i] or 0))
        if need > 0 then
          -- Room for more requests only while it is a small share of what would remain: near the
          -- limit, exactly the need, so that what is left is not idle in one instance's lease.
          local extra = want[i] or 0
          if extra > math.floor((limits[i] - used(i) - need) * share) then extra = 0 end
          add_mine(i, need + extra)
        end
      end
    end
    out[#out + 1] = failed
    out[#out + 1] = remaining
  elseif kind == 'p' then
    local id, n = ARGV[p + 1], tonumber(ARGV[p + 2])
    local done = redis.call('ZSCORE', marks, id)
    for j = 0, n - 1 do
      local i, amount = tonumber(ARGV[p + 3 + 2 * j]), tonumber(ARGV[p + 4 + 2 * j])
      if alive[i] then
        local held = redis.call('HGET', R(i), id)
        if held then
          -- Reserved on its own (by an instance without leases): settled as RedisBudgetStore does.
          take_from(i, id, tonumber(held), tonumber(held))
          dspent[i] = dspent[i] + amount
        elseif not done then
          -- Drawn from an earlier process's lease that is still held, and not applied before it died.
          local earlier = earlier_leases(i)
          if #earlier > 0 then
            dspent[i] = dspent[i] + amount
            local left = amount
            for _, entry in ipairs(earlier) do
              if left <= 0 then break end
              left = left - take_from(i, entry[1], entry[2], left)
            end
          end
        end
      end
    end
    -- Applied once: a second replay finds the mark.
    redis.call('ZADD', marks, int(now), id)
    marked = true
    p = p + 3 + 2 * n
  elseif kind == 'z' then
    local n = tonumber(ARGV[p + 1])
    for j = 0, n - 1 do
      local i = tonumber(ARGV[p + 2 + j])
      if alive[i] then
        for _, entry in ipairs(earlier_leases(i)) do take_from(i, entry[1], entry[2], entry[2]) end
      end
    end
    p = p + 2 + n
  else
    return redis.error_reply('unknown lease operation ' .. tostring(kind))
  end
end

local owned = false
for i = 1, c do
  if alive[i] then
    local s = S(i)
    if mine[i] > 0 then
      if mine[i] ~= had[i] then redis.call('HSET', R(i), lease, int(mine[i])) end
      redis.call('ZADD', E(i), int(now + lease_ttl), lease)
      if had[i] == 0 then redis.call('SADD', owners, s) end
      touched[i], owned = true, true
    elseif had[i] > 0 then
      redis.call('HDEL', R(i), lease)
      redis.call('ZREM', E(i), lease)
      redis.call('SREM', owners, s)
    end
    if dspent[i] ~= 0 then redis.call('HINCRBY', s, 'spent', int(dspent[i])) end
    if dreserved[i] ~= 0 then redis.call('HINCRBY', s, 'reserved', int(dreserved[i])) end
    if touched[i] then
      redis.call('HSET', s, 'ends', int(ends[i]))
      keep_until(s, R(i), E(i), ends[i])
    end
  end
  out[#out + 1] = mine[i]
  out[#out + 1] = alive[i] and used(i) or 0
end
if owned then redis.call('PEXPIRE', owners, int(2 * lease_ttl)) end
if marked then
  -- Only the latest settlements can be unknown to a dead process's journal; marks live as long as its leases.
  redis.call('ZREMRANGEBYRANK', marks, 0, -(max_marks + 1))
  redis.call('PEXPIRE', marks, int(2 * lease_ttl))
end
return out
`;
