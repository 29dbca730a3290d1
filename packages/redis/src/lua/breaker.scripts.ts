/**
 * Lua scripts for one breaker's cluster state, kept in one hash per breaker:
 * `state` (closed | open | forced-open | disabled), `openedAt` (Redis time, ms), `gen` (the
 * generation: set to Redis' time in ms when the hash is created, then bumped by one on every
 * transition, so replicas can drop stale news and a hash re-created after it expired never goes
 * back in time), `reopens` (re-opens from half-open in a row, which lengthen the open period with
 * `recoveryBackoff`), `failures` (consecutive mode) or a ring of time buckets `t:i` / `f:i` / `s:i` /
 * `e:i` (rate mode: totals, failures, slow calls, and the bucket's epoch). The trial lease of a
 * half-open round is its own key (`SET NX PX`), holding `<origin>:<gen>`: who runs the round, for
 * which open state.
 *
 * Both keys of a breaker share one hash tag (`{...}`), so every script touches a single slot and
 * runs on Redis Cluster; a script never touches another breaker's keys.
 *
 * Every script reads Redis' own clock (`TIME`), so replicas' clocks never have to agree, and
 * answers `{ state, ageMs, gen, repaired, reopens }`: the cluster state after the script, how long
 * ago it opened, its generation, 1 when the script found invalid data in the breaker's keys (a
 * field that is not what the scripts write, a key of the wrong type) and repaired it, and its
 * re-opens in a row. A transition is
 * published on the store's channel inside the script, so the change and its announcement are one
 * atomic step.
 */

/** Shared prelude: time, validation and repair, the answer, opening, publishing. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hash = KEYS[1]
local repaired = 0
local STATES = { closed = true, open = true, ['forced-open'] = true, disabled = true }

-- Whole non-negative numbers as the scripts write them (at most 15 digits: exact as a double).
local function whole(v)
  return type(v) == 'string' and #v <= 15 and string.match(v, '^%d+$') ~= nil
end

local function isCount(f)
  return f == 'failures' or string.match(f, '^[tfse]:%d+$') ~= nil
end

local function clearCounts()
  local fields = redis.call('HKEYS', hash)
  for _, f in ipairs(fields) do
    if isCount(f) then redis.call('HDEL', hash, f) end
  end
end

-- Makes the hash something the scripts can work with, whatever is in it: a key of another type is
-- dropped, an unknown state drops the hash, a bad generation restarts from Redis' time, an open
-- state without a valid date opens now, bad counts are cleared. Never raises.
local function validate()
  local kind = redis.call('TYPE', hash)['ok']
  if kind == 'none' then return end
  if kind ~= 'hash' then
    redis.call('DEL', hash)
    repaired = 1
    return
  end
  local all = redis.call('HGETALL', hash)
  local fields = {}
  for i = 1, #all, 2 do fields[all[i]] = all[i + 1] end
  local state = fields['state']
  if state ~= nil and not STATES[state] then
    redis.call('DEL', hash)
    repaired = 1
    return
  end
  if fields['gen'] ~= nil and not whole(fields['gen']) then
    redis.call('HSET', hash, 'gen', now)
    repaired = 1
  end
  if fields['reopens'] ~= nil and not whole(fields['reopens']) then
    redis.call('HDEL', hash, 'reopens')
    repaired = 1
  end
  local openedAt = fields['openedAt']
  local dated = whole(openedAt) and tonumber(openedAt) <= now
  if (state == 'open' or state == 'forced-open') and not dated then
    redis.call('HSET', hash, 'openedAt', now)
    repaired = 1
  elseif openedAt ~= nil and not dated then
    redis.call('HDEL', hash, 'openedAt')
    repaired = 1
  end
  for f, v in pairs(fields) do
    if isCount(f) and not whole(v) then
      clearCounts()
      repaired = 1
      break
    end
  end
end

-- A lease key of another type (nothing the scripts write) is dropped.
local function validateLease(lease)
  local kind = redis.call('TYPE', lease)['ok']
  if kind ~= 'none' and kind ~= 'string' then
    redis.call('DEL', lease)
    repaired = 1
  end
end

-- Before a script writes to the hash: a new hash starts its generations at Redis' time.
local function ensureGen()
  if redis.call('HEXISTS', hash, 'gen') == 0 then redis.call('HSET', hash, 'gen', now) end
end

local function answer()
  local s = redis.call('HMGET', hash, 'state', 'openedAt', 'gen', 'reopens')
  local state = s[1] or 'closed'
  local age = 0
  if (state == 'open' or state == 'forced-open') and s[2] then age = now - tonumber(s[2]) end
  return { state, age, tonumber(s[3] or '0'), repaired, tonumber(s[4] or '0') }
end

local function transition(to, channel, id, origin, reason)
  ensureGen()
  clearCounts()
  if to == 'open' or to == 'forced-open' then
    redis.call('HSET', hash, 'state', to, 'openedAt', now)
  else
    redis.call('HSET', hash, 'state', to)
    redis.call('HDEL', hash, 'openedAt')
  end
  -- A failed (or abandoned) trial round re-opens once more in a row; any other opening, closing or
  -- disabling starts the count again. Forcing open leaves it as it is.
  local reopens = 0
  if to == 'open' and (reason == 'half-open-failure' or reason == 'half-open-timeout') then
    reopens = redis.call('HINCRBY', hash, 'reopens', 1)
  elseif to == 'forced-open' then
    reopens = tonumber(redis.call('HGET', hash, 'reopens') or '0')
  else
    redis.call('HDEL', hash, 'reopens')
  end
  local gen = redis.call('HINCRBY', hash, 'gen', 1)
  redis.call('PUBLISH', channel, cjson.encode({ id = id, state = to, ageMs = 0, gen = gen, reopens = reopens, origin = origin, reason = reason }))
end

validate()
`;

/**
 * Outcomes of calls a replica admitted while closed, batched. Counted only while the cluster
 * breaker is closed; opens it (and publishes) when the cluster-wide count crosses the threshold.
 *
 * KEYS: hash. ARGV: channel, id, origin, ttlMs, mode ('consecutive' | 'rate'), successes,
 * failures, slow, trailingFailures (failures after the batch's last success), hadSuccess (0/1),
 * failureThreshold, windowMs, bucketMs, minimumCalls, failureRateThreshold, slowCallRateThreshold.
 */
export const RECORD_OUTCOMES = `${PRELUDE}
local channel, id, origin = ARGV[1], ARGV[2], ARGV[3]
local ttl = tonumber(ARGV[4])
local mode = ARGV[5]
local successes, failures, slow = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local trailing, hadSuccess = tonumber(ARGV[9]), ARGV[10] == '1'
local state = redis.call('HGET', hash, 'state') or 'closed'
if state == 'closed' then
  ensureGen()
  if mode == 'consecutive' then
    local count
    if hadSuccess then
      redis.call('HSET', hash, 'failures', trailing)
      count = trailing
    else
      count = redis.call('HINCRBY', hash, 'failures', trailing)
    end
    if count >= tonumber(ARGV[11]) then transition('open', channel, id, origin, 'failure-threshold') end
  else
    local windowMs, bucketMs = tonumber(ARGV[12]), tonumber(ARGV[13])
    local buckets = math.max(1, math.floor(windowMs / bucketMs))
    local epoch = math.floor(now / bucketMs)
    local slot = epoch % buckets
    if tonumber(redis.call('HGET', hash, 'e:' .. slot) or '-1') ~= epoch then
      redis.call('HSET', hash, 'e:' .. slot, epoch, 't:' .. slot, 0, 'f:' .. slot, 0, 's:' .. slot, 0)
    end
    redis.call('HINCRBY', hash, 't:' .. slot, successes + failures)
    redis.call('HINCRBY', hash, 'f:' .. slot, failures)
    redis.call('HINCRBY', hash, 's:' .. slot, slow)
    local total, failed, slowed = 0, 0, 0
    for i = 0, buckets - 1 do
      local e = tonumber(redis.call('HGET', hash, 'e:' .. i) or '-1')
      if e > epoch - buckets then
        total = total + tonumber(redis.call('HGET', hash, 't:' .. i) or '0')
        failed = failed + tonumber(redis.call('HGET', hash, 'f:' .. i) or '0')
        slowed = slowed + tonumber(redis.call('HGET', hash, 's:' .. i) or '0')
      end
    end
    if total >= tonumber(ARGV[14]) and total > 0 then
      if failed * 100 >= tonumber(ARGV[15]) * total then
        transition('open', channel, id, origin, 'failure-rate')
      elseif slowed * 100 >= tonumber(ARGV[16]) * total then
        transition('open', channel, id, origin, 'slow-call-rate')
      end
    end
  end
end
redis.call('PEXPIRE', hash, ttl)
return answer()
`;

/**
 * Asks for the trial lease of a half-open round. Granted (first element 1) only when the cluster
 * breaker is open, its open period has passed on Redis' clock, and nobody holds the lease. The
 * open period is `recoveryTimeoutMs`, grown by the cluster's re-opens in a row when a
 * `recoveryBackoff` is given (`multiplier`, `maxRecoveryTimeoutMs`), so no replica can take the
 * trial early, even one that missed a re-open. The lease holds `<origin>:<gen>`: the round is for
 * the open state of that generation.
 *
 * KEYS: hash, lease. ARGV: origin, recoveryTimeoutMs, leaseMs, ttlMs, multiplier (default 1),
 * maxRecoveryTimeoutMs (default recoveryTimeoutMs).
 */
export const ACQUIRE_TRIAL = `${PRELUDE}
validateLease(KEYS[2])
local origin = ARGV[1]
local recovery, leaseMs, ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local multiplier, maxRecovery = tonumber(ARGV[5] or '1'), tonumber(ARGV[6] or ARGV[2])
local s = redis.call('HMGET', hash, 'state', 'openedAt', 'gen', 'reopens')
local reopens = tonumber(s[4] or '0')
if reopens > 0 then recovery = math.min(maxRecovery, recovery * multiplier ^ reopens) end
local granted = 0
if s[1] == 'open' and now >= tonumber(s[2]) + recovery then
  if redis.call('SET', KEYS[2], origin .. ':' .. (s[3] or '0'), 'NX', 'PX', leaseMs) then granted = 1 end
end
redis.call('PEXPIRE', hash, ttl)
local a = answer()
return { granted, a[1], a[2], a[3], a[4], a[5] }
`;

/**
 * A transition decided by one replica: `manual` (force-open, disable, reset from an admin or the
 * registry: always applied, any trial lease is dropped) or `verdict` (the end of a half-open round).
 * A verdict is applied while its lease is still held, and also after the lease expired if nothing
 * happened since: no other round started (no lease) and the cluster is still open with the
 * generation the lease was granted for. Otherwise it is stale (a sixth element 1 says so) and the
 * caller must follow the cluster state answered.
 *
 * KEYS: hash, lease. ARGV: channel, id, origin, ttlMs, to, kind ('manual' | 'verdict'), reason,
 * leaseGen (verdicts: the generation the lease was granted for).
 */
export const TRANSITION = `${PRELUDE}
validateLease(KEYS[2])
local channel, id, origin = ARGV[1], ARGV[2], ARGV[3]
local ttl, to, kind, reason = tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
if kind == 'verdict' then
  local holder = redis.call('GET', KEYS[2])
  local s = redis.call('HMGET', hash, 'state', 'gen')
  local held = holder == origin .. ':' .. ARGV[8]
  local unchanged = holder == false and s[1] == 'open' and s[2] == ARGV[8]
  if not held and not unchanged then
    redis.call('PEXPIRE', hash, ttl)
    local a = answer()
    return { a[1], a[2], a[3], a[4], a[5], 1 }
  end
end
redis.call('DEL', KEYS[2])
transition(to, channel, id, origin, reason)
redis.call('PEXPIRE', hash, ttl)
local a = answer()
return { a[1], a[2], a[3], a[4], a[5], 0 }
`;

/** The cluster state (start-up, resync, and checking news that skipped generations). KEYS: hash. */
export const READ_STATE = `${PRELUDE}
if redis.call('EXISTS', hash) == 0 then return { 'none', 0, 0, repaired, 0 } end
return answer()
`;
