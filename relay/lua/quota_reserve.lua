-- Quota and the expiry index in one step, before the share exists: whatever happens next, the
-- sweeper finds the id and releases what was reserved.
-- Everything a create reserves, in one step: the client's hourly allowance (KEYS[4] .. ':' .. hour, a
-- hash of bytes and shares with the window as TTL: ARGV[8] bytes, ARGV[9] shares), the storage quota
-- (ARGV[2] bytes = the ciphertext plus the share's Redis footprint, against ARGV[3]) and the Redis
-- budget (ARGV[6] bytes of footprint against ARGV[7]; 0 = none), whose per-share amounts KEYS[6] keeps
-- for the release. The expiry entry falls due at the upload-idle-timeout (ARGV[5] ms) at the latest:
-- the sweeper's expireCheck then either deletes a stalled upload or moves the entry on.
-- The client's hash lives two windows (ARGV[10] s), so `ots-relay admin stats` can read the last
-- full hour from it as well.
local t = redis.call('TIME')
local window = 3600
local slot = math.floor(tonumber(t[1]) / window)
local clientKey = KEYS[4] .. ':' .. int(slot)
local c = redis.call('HMGET', clientKey, 'bytes', 'shares')
if tonumber(c[2] or '0') + 1 > tonumber(ARGV[9]) or
   tonumber(c[1] or '0') + tonumber(ARGV[2]) > tonumber(ARGV[8]) then
  return {'limited', (slot + 1) * window - tonumber(t[1])}
end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return {'full'} end
local redisUsed = tonumber(redis.call('GET', KEYS[5]) or '0')
if tonumber(ARGV[7]) > 0 and redisUsed + tonumber(ARGV[6]) > tonumber(ARGV[7]) then return {'redis_full'} end
redis.call('HINCRBY', clientKey, 'bytes', ARGV[2])
if redis.call('HINCRBY', clientKey, 'shares', 1) == 1 then redis.call('EXPIRE', clientKey, ARGV[10]) end
redis.call('INCRBY', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('INCRBY', KEYS[5], ARGV[6])
redis.call('HSET', KEYS[6], ARGV[1], ARGV[6])
local expiresAt = tonumber(t[1]) + tonumber(ARGV[4])
local nowMsec = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[3], int(math.min(expiresAt * 1000, nowMsec + tonumber(ARGV[5]))), ARGV[1])
return {'ok', expiresAt}
