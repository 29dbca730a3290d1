/**
 * Lua scripts for one breaker's cluster state, kept in one hash per breaker:
 * `state` (closed | open | forced-open | disabled), `openedAt` (Redis time, ms), `gen` (bumped by
 * every transition, so replicas can drop stale news), `reopens` (re-opens from half-open in a row,
 * which lengthen the open period with `recoveryBackoff`), `failures` (consecutive mode) or a ring
 * of time buckets `t:i` / `f:i` / `s:i` / `e:i` (rate mode: totals, failures, slow calls, and the
 * bucket's epoch). The trial lease of a half-open round is its own key (`SET NX PX`).
 *
 * Every script reads Redis' own clock (`TIME`), so replicas' clocks never have to agree, and
 * answers `{ state, ageMs, gen, reopens }`: the cluster state after the script, how long ago it
 * opened, its generation and its re-opens in a row. A transition is published on the store's
 * channel inside the script, so the change and its announcement are one atomic step.
 */

/** Shared prelude: time, the answer, opening, publishing. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hash = KEYS[1]

local function answer()
  local s = redis.call('HMGET', hash, 'state', 'openedAt', 'gen', 'reopens')
  local state = s[1] or 'closed'
  local age = 0
  if s[2] then age = now - tonumber(s[2]) end
  return { state, age, tonumber(s[3] or '0'), tonumber(s[4] or '0') }
end

local function clearCounts()
  local fields = redis.call('HKEYS', hash)
  for _, f in ipairs(fields) do
    if f == 'failures' or string.match(f, '^[tfse]:') then redis.call('HDEL', hash, f) end
  end
end

local function transition(to, channel, id, origin, reason)
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
 * trial early, even one that missed a re-open.
 *
 * KEYS: hash, lease. ARGV: origin, recoveryTimeoutMs, leaseMs, ttlMs, multiplier (default 1),
 * maxRecoveryTimeoutMs (default recoveryTimeoutMs).
 */
export const ACQUIRE_TRIAL = `${PRELUDE}
local origin = ARGV[1]
local recovery, leaseMs, ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local multiplier, maxRecovery = tonumber(ARGV[5] or '1'), tonumber(ARGV[6] or ARGV[2])
local s = redis.call('HMGET', hash, 'state', 'openedAt', 'reopens')
local reopens = tonumber(s[3] or '0')
if reopens > 0 then recovery = math.min(maxRecovery, recovery * multiplier ^ reopens) end
local granted = 0
if s[1] == 'open' and now >= tonumber(s[2]) + recovery then
  if redis.call('SET', KEYS[2], origin, 'NX', 'PX', leaseMs) then granted = 1 end
end
redis.call('PEXPIRE', hash, ttl)
local a = answer()
return { granted, a[1], a[2], a[3], a[4] }
`;

/**
 * A transition decided by one replica: `manual` (force-open, disable, reset from an admin or the
 * registry: always applied, any trial lease is dropped) or `verdict` (the end of a half-open round:
 * applied only while the caller still holds the lease, which it gives back).
 *
 * KEYS: hash, lease. ARGV: channel, id, origin, ttlMs, to, kind ('manual' | 'verdict'), reason.
 */
export const TRANSITION = `${PRELUDE}
local channel, id, origin = ARGV[1], ARGV[2], ARGV[3]
local ttl, to, kind, reason = tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
if kind == 'verdict' then
  if redis.call('GET', KEYS[2]) ~= origin then
    redis.call('PEXPIRE', hash, ttl)
    return answer()
  end
end
redis.call('DEL', KEYS[2])
transition(to, channel, id, origin, reason)
redis.call('PEXPIRE', hash, ttl)
return answer()
`;

/** The cluster state, read-only (start-up and resync). KEYS: hash. */
export const READ_STATE = `${PRELUDE}
if redis.call('EXISTS', hash) == 0 then return { 'none', 0, 0, 0 } end
return answer()
`;
