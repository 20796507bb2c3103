-- Everything that admits a create, in one step, before the share exists: whatever happens next, the
-- sweeper finds the id and releases what was reserved.
-- First the client: blocked by the operator (KEYS[8]) or over its per-minute create limit (KEYS[7]
-- window prefix, ARGV[11] creates per ARGV[12] s), as rate_limit.lua refuses it. Then the client's hourly
-- allowance (KEYS[4] .. ':' .. hour, a hash of bytes and shares with the window as TTL: ARGV[8] bytes,
-- ARGV[9] shares), the storage quota (ARGV[2] bytes = the ciphertext plus the share's Redis footprint,
-- against ARGV[3]) and the Redis budget (ARGV[6] bytes of footprint against ARGV[7]; 0 = none), whose
-- per-share amounts KEYS[6] keeps for the release. The expiry entry falls due at the
-- upload-idle-timeout (ARGV[5] ms) at the latest: the sweeper's expireCheck then either deletes a
-- stalled upload or moves the entry on.
-- The client's hash lives two windows (ARGV[10] s), so `ots-relay admin stats` can read the last
-- full hour from it as well.
local nowMsec = nowMs()
local seconds = math.floor(nowMsec / 1000)
local refused = refuseClient(KEYS[7], KEYS[8], ARGV[11], ARGV[12], seconds)
if refused then return refused end
local window = 3600
local slot = math.floor(seconds / window)
local clientKey = KEYS[4] .. ':' .. int(slot)
local c = redis.call('HMGET', clientKey, 'bytes', 'shares')
if tonumber(c[2] or '0') + 1 > tonumber(ARGV[9]) or
   tonumber(c[1] or '0') + tonumber(ARGV[2]) > tonumber(ARGV[8]) then
  return {'allowance_spent', (slot + 1) * window - seconds}
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
local expiresAt = seconds + tonumber(ARGV[4])
redis.call('ZADD', KEYS[3], int(math.min(expiresAt * 1000, nowMsec + tonumber(ARGV[5]))), ARGV[1])
return {'ok', expiresAt}
