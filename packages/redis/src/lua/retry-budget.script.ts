/**
 * The fleet's retry budget for one retry policy: a token bucket in one hash (`tokens`, `at`).
 * Replicas report, in batches, the calls they started (each deposits `ratio` tokens) and the
 * retries they made (each took one); the bucket also refills `minRetriesPerSecond` on Redis'
 * clock, up to `maxTokens`. Retries a replica made on its local estimate may overdraw the
 * bucket: the debt (down to -maxTokens) is paid back by later calls, so the fleet converges on
 * its share. Answers the balance as a string (Redis truncates Lua numbers to integers).
 *
 * KEYS: bucket hash. ARGV: calls, retries, ratio, minRetriesPerSecond, maxTokens, ttlMs.
 */
export const SYNC_RETRY_BUDGET = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local calls, retries = tonumber(ARGV[1]), tonumber(ARGV[2])
local ratio, perSecond, maxTokens, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
-- Anything else than what this script writes (a key of another type, a field that is not a
-- finite number, a date in the future) restarts the bucket full: one budget's bad data stays its own.
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'none' and kind ~= 'hash' then redis.call('DEL', KEYS[1]) end
local s = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(s[1] or maxTokens)
local at = tonumber(s[2] or now)
if tokens == nil or at == nil or tokens ~= tokens or at ~= at or math.abs(tokens) == math.huge or at > now then
  tokens, at = maxTokens, now
end
tokens = math.min(maxTokens, tokens + math.max(0, now - at) / 1000 * perSecond + calls * ratio) - retries
tokens = math.max(-maxTokens, tokens)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], ttl)
return tostring(tokens)
`;
