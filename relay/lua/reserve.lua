-- A valid proof for a download: refund its attempt and, if one is left, reserve a download under the
-- ticket the client chose. The same ticket again (its answer was lost to a failure, §10.6) reserves
-- nothing more: 'held' with the milliseconds it has left, before the expiry check, since a held
-- ticket outlives the share's expiresAt.
local s = redis.call('HMGET', KEYS[1], 'reserved', 'maxDownloads', 'size', 'expiresAt')
if not s[1] then return missing() end
redis.call('ZREM', KEYS[5], ARGV[3])
local now = nowMs()
-- A ticket holds when it lapses (ms), on the scripts' clock; its TTL only lets Redis drop it.
local heldUntil = tonumber(redis.call('GET', KEYS[3]) or '0')
if heldUntil > now then return {'held', tonumber(s[3]), tonumber(s[2]) - tonumber(s[1]), heldUntil - now} end
if now >= tonumber(s[4]) * 1000 then return {'gone', 'expired'} end
if tonumber(s[1]) >= tonumber(s[2]) then return {'no_downloads_left'} end
redis.call('HINCRBY', KEYS[1], 'reserved', 1)
redis.call('SET', KEYS[3], int(now + tonumber(ARGV[2])), 'PX', ARGV[2])
redis.call('ZADD', KEYS[4], int(now + tonumber(ARGV[2])), ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[4], ttl) end
return {'ok', tonumber(s[3]), tonumber(s[2]) - tonumber(s[1]) - 1, tonumber(ARGV[2])}
