/**
 * The Lua scripts of the Redis store (redis.ts), one per state change that must be atomic: each reads, decides
 * and writes in one step on the server, so instances never interleave inside it. Each mutation also PUBLISHes its
 * change from inside the script, so the change feed's order is the order in which Redis applied the changes.
 *
 * Numbers cross the boundary as strings: a Lua number returned to Redis is truncated to an integer, and
 * Infinity must survive (`inf`). `num()` formats with 17 significant digits, which round-trips a double.
 * Every time given in ARGV is the caller's clock (reservations name their `now`); TTLs are relative
 * milliseconds computed by the caller, only ever lengthened here (`extend`).
 */

/** Helpers shared by every script. */
const HELPERS = `
local function num(x) return string.format('%.17g', x) end
local function int(x) return string.format('%d', math.ceil(x)) end
-- Lengthens a key's expiry to ttl ms from now; never shortens it (a key without expiry gets one).
local function extend(key, ttl)
  if ttl < 1 then ttl = 1 end
  local cur = redis.call('PTTL', key)
  if cur == -2 then return end
  if cur == -1 or cur < ttl then redis.call('PEXPIRE', key, int(ttl)) end
end
local function hdel_all(key, fields)
  for i = 1, #fields, 500 do redis.call('HDEL', key, unpack(fields, i, math.min(i + 499, #fields))) end
end
-- Sets what booking id holds in window hash h to amount, keeping the total; false when it holds nothing there.
local function correct(h, id, amount)
  local field = 'i' .. id
  local old = redis.call('HGET', h, field)
  if not old then return false end
  local total = tonumber(redis.call('HGET', h, '#t') or '0') + amount - tonumber(old)
  redis.call('HSET', h, field, num(amount), '#t', num(total))
  return true
end
-- Drops from zset z (and hash h) the members scored before 'before'.
local function prune(z, h, before)
  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', '(' .. before)
  if #gone > 0 then
    if h then hdel_all(h, gone) end
    redis.call('ZREMRANGEBYSCORE', z, '-inf', '(' .. before)
  end
end
-- Stores entry under field in hash h and its score in zset z, drops what ended before pruneBefore, and lengthens
-- both keys' expiry to ttl (cooldowns and disables).
local function put_entry(h, z, field, entry, score, ttl, pruneBefore)
  redis.call('HSET', h, field, entry)
  redis.call('ZADD', z, score, field)
  prune(z, h, pruneBefore)
  extend(h, ttl)
  extend(z, ttl)
end
`;

/**
 * Quota windows. Per window (a reservation key and a window name): a hash with `#t` (the running total), `#r`
 * (a fixed window's resetAt) and `i<id>` → amount per booking; and a sorted set id → booking time. Sliding
 * windows drop what has slid out before deciding; a fixed window whose resetAt differs, or has passed, starts
 * again from zero, and keeps the ids of its latest `maxFixedIds` bookings only (older ones stay in `#t` but can
 * no longer be released or corrected: a day of a large limit must not hold a field per request).
 *
 * KEYS: per window, hash then zset. ARGV: id, now, then per window: kind (s|f), span (windowMs | resetAt),
 * limit, amount, ttl; then maxFixedIds. Returns {1, used…} or {0, index of the refusing window (1-based), retryAt}.
 */
export const RESERVE = `${HELPERS}
local id = ARGV[1]
local field = 'i' .. id
local now = tonumber(ARGV[2])
local n = #KEYS / 2
local maxFixedIds = tonumber(ARGV[3 + n * 5])
local totals = {}
for i = 1, n do
  local h, z, b = KEYS[2 * i - 1], KEYS[2 * i], 2 + (i - 1) * 5
  local kind, span = ARGV[b + 1], tonumber(ARGV[b + 2])
  if kind == 'f' then
    local r = redis.call('HGET', h, '#r')
    if (not r) or tonumber(r) ~= span or now >= span then
      redis.call('DEL', h, z)
      totals[i] = 0
    else
      totals[i] = tonumber(redis.call('HGET', h, '#t') or '0')
    end
  else
    local total = tonumber(redis.call('HGET', h, '#t') or '0')
    local cutoff = num(now - span)
    local gone = redis.call('ZRANGEBYSCORE', z, '-inf', cutoff)
    if #gone > 0 then
      local fields = {}
      for j, m in ipairs(gone) do
        fields[j] = 'i' .. m
        local a = redis.call('HGET', h, fields[j])
        if a then total = total - tonumber(a) end
      end
      hdel_all(h, fields)
      redis.call('ZREMRANGEBYSCORE', z, '-inf', cutoff)
      redis.call('HSET', h, '#t', num(total))
    end
    totals[i] = total
  end
end
-- Refused: name the window that frees last (the first of equals), since the booking fits only once all have room.
local refused, retryAt = nil, nil
for i = 1, n do
  local h, z, b = KEYS[2 * i - 1], KEYS[2 * i], 2 + (i - 1) * 5
  local kind, span, limit, amount = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  if totals[i] + amount > limit then
    local at
    if amount > limit then
      at = math.huge
    elseif kind == 'f' then
      at = math.max(now, span)
    else
      -- The oldest bookings slide out first: when enough of them have, the amount fits.
      local excess = totals[i] + amount - limit
      at = now + span
      local entries = redis.call('ZRANGE', z, 0, -1, 'WITHSCORES')
      for j = 1, #entries, 2 do
        excess = excess - tonumber(redis.call('HGET', h, 'i' .. entries[j]) or '0')
        if excess <= 0 then
          at = tonumber(entries[j + 1]) + span
          break
        end
      end
    end
    if (not retryAt) or at > retryAt then refused, retryAt = i, at end
  end
end
if refused then return {0, refused, num(retryAt)} end
local used = {1}
for i = 1, n do
  local h, z, b = KEYS[2 * i - 1], KEYS[2 * i], 2 + (i - 1) * 5
  local kind, span, amount, ttl = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
  local old = redis.call('HGET', h, field)
  local total = totals[i] + amount - (old and tonumber(old) or 0)
  redis.call('HSET', h, field, num(amount), '#t', num(total))
  redis.call('ZADD', z, num(now), id)
  if kind == 'f' then
    redis.call('HSET', h, '#r', num(span))
    if redis.call('ZCARD', z) > maxFixedIds then
      local gone = redis.call('ZPOPMIN', z)
      redis.call('HDEL', h, 'i' .. gone[1])
    end
  end
  extend(z, ttl)
  extend(h, ttl)
  used[i + 1] = num(total)
end
return used
`;

/**
 * What each window holds at `now`, without changing anything. KEYS: per window, hash then zset. ARGV: now, then
 * per window: kind, span. Returns the amounts, in order.
 */
export const WINDOW_USAGE = `${HELPERS}
local now = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS / 2 do
  local h, z, b = KEYS[2 * i - 1], KEYS[2 * i], 1 + (i - 1) * 2
  local kind, span = ARGV[b + 1], tonumber(ARGV[b + 2])
  local used = 0
  if kind == 'f' then
    local r = redis.call('HGET', h, '#r')
    if r and tonumber(r) == span and now < span then used = tonumber(redis.call('HGET', h, '#t') or '0') end
  else
    used = tonumber(redis.call('HGET', h, '#t') or '0')
    for _, m in ipairs(redis.call('ZRANGEBYSCORE', z, '-inf', num(now - span))) do
      used = used - tonumber(redis.call('HGET', h, 'i' .. m) or '0')
    end
  end
  out[i] = num(used)
end
return out
`;

/** Corrects one booking. KEYS: the window's hash. ARGV: id, amount. */
export const ADJUST = `${HELPERS}
if correct(KEYS[1], ARGV[1], tonumber(ARGV[2])) then return 1 end
return 0
`;

/**
 * Moves a booking in its sliding windows to the time Google answered (never earlier: GT; only a booking still
 * there: XX), and lengthens the keys' expiry to cover the window from then. One script instead of three commands
 * per window. KEYS: per window, hash then zset; then, with a correction, the hash it applies to. ARGV: id, at,
 * the ttl per window, then the correction's amount (as ADJUST would book it).
 */
export const RESTAMP = `${HELPERS}
local n = math.floor(#KEYS / 2)
for i = 1, n do
  local h, z, ttl = KEYS[2 * i - 1], KEYS[2 * i], ARGV[2 + i]
  redis.call('ZADD', z, 'XX', 'GT', ARGV[2], ARGV[1])
  redis.call('PEXPIRE', z, ttl, 'GT')
  redis.call('PEXPIRE', h, ttl, 'GT')
end
if #KEYS > 2 * n then correct(KEYS[#KEYS], ARGV[1], tonumber(ARGV[3 + n])) end
return 1
`;

/** Takes a booking back from every window. KEYS: per window, hash then zset. ARGV: id. */
export const RELEASE = `${HELPERS}
local field = 'i' .. ARGV[1]
for i = 1, #KEYS / 2 do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  local old = redis.call('HGET', h, field)
  if old then
    local total = tonumber(redis.call('HGET', h, '#t') or '0') - tonumber(old)
    redis.call('HDEL', h, field)
    redis.call('HSET', h, '#t', num(total))
    redis.call('ZREM', z, ARGV[1])
  end
end
return 1
`;

/**
 * Cooldowns: one hash field → entry (JSON) and one sorted set field → until, for every (scope, model).
 * Sets the cooldown unless the running one lasts as long or longer (compare-and-set on until); then drops the
 * entries that ended before `pruneBefore`, lengthens both keys' expiry, and publishes.
 * KEYS: hash, zset. ARGV: field, until, entry, ttl, pruneBefore, channel, message. Returns 1 when it changed.
 */
export const EXTEND_COOLDOWN = `${HELPERS}
local cur = redis.call('ZSCORE', KEYS[2], ARGV[1])
if cur and tonumber(cur) >= tonumber(ARGV[2]) then return 0 end
put_entry(KEYS[1], KEYS[2], ARGV[1], ARGV[3], ARGV[2], tonumber(ARGV[4]), ARGV[5])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
`;

/**
 * Clears one (scope, model), or every model of a scope: the fields starting with ARGV[2] (the encoded scope and
 * its separator). KEYS: hash, zset. ARGV: field ('' for every model), scope prefix, channel, message.
 */
export const CLEAR_COOLDOWN = `${HELPERS}
if ARGV[1] ~= '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  local pfx = ARGV[2]
  local fields = {}
  for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(f, 1, #pfx) == pfx then fields[#fields + 1] = f end
  end
  if #fields > 0 then
    hdel_all(KEYS[1], fields)
    for i = 1, #fields, 500 do redis.call('ZREM', KEYS[2], unpack(fields, i, math.min(i + 499, #fields))) end
  end
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/**
 * Disables: a hash id → entry (JSON) and a sorted set id → when the entry may be dropped.
 * KEYS: hash, zset. ARGV: field, entry, dropAt, ttl, pruneBefore, channel, message.
 */
export const SET_DISABLE = `${HELPERS}
put_entry(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
`;

/** KEYS: hash, zset. ARGV: field, channel, message. Publishes only when there was a disable to clear. */
export const CLEAR_DISABLE = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;

/**
 * Usage: a hash per day, field (dims and count name, JSON) → sum; the days in a sorted set (by name, for ranges).
 * KEYS: the day's hash, the day index. ARGV: day, ttl, then field, amount pairs.
 */
export const ADD_USAGE = `${HELPERS}
for i = 3, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
local ttl = tonumber(ARGV[2])
extend(KEYS[1], ttl)
extend(KEYS[2], ttl)
return 1
`;

/**
 * Key-value: the value in a string key (with PX when it has a TTL), its encoded key in the namespace's index,
 * a sorted set scored by when it expires (Redis's own clock: TIME), so the index drops what expired.
 * KEYS: value key, index. ARGV: member, value, ttl ('' for none), grace, channel, message.
 */
export const KV_SET = `${HELPERS}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[2])
  redis.call('ZADD', KEYS[2], 'inf', ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('ZADD', KEYS[2], num(now + tonumber(ARGV[3])), ARGV[1])
end
prune(KEYS[2], nil, num(now))
-- The index lives as long as its longest-lived entry (for good if one has no TTL).
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if tonumber(last[2]) == math.huge then
  redis.call('PERSIST', KEYS[2])
else
  redis.call('PEXPIRE', KEYS[2], int(tonumber(last[2]) - now + tonumber(ARGV[4])))
end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`;

/** KEYS: value key, index. ARGV: member, channel, message. Publishes only when the key was there. */
export const KV_DELETE = `
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;

/** The namespace's live members, after dropping the expired ones from the index. KEYS: index. */
export const KV_MEMBERS = `${HELPERS}
local t = redis.call('TIME')
prune(KEYS[1], nil, num(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;
