-- After a valid link signature: consumes the nonce and, for a share with a password (ARGV[3] = '1'),
-- reserves an attempt before the password proof is checked, so however many proofs race, at most
-- maxAttempts of them are past this point between two successes. Failures so far (attempts) and
-- verifications running now (the pending set) both count, so "locked" means maxAttempts real failures,
-- while a share whose remaining attempts are all being checked at this moment answers "busy"; both
-- leave the nonce for a retry. A pending entry older than its stale age belongs to a relay that died
-- while verifying; it counts as a failure, the conservative reading. Without a password the link
-- secret is the whole key: nothing is counted, and such a share never locks.
local s = redis.call('HMGET', KEYS[1], 'expiresAt', 'attempts', 'maxAttempts')
if not s[1] then return missing() end
local now = nowMs()
if now >= tonumber(s[1]) * 1000 then return {'gone', 'expired'} end
local attempts = tonumber(s[2])
local maxAttempts = tonumber(s[3])
if ARGV[3] ~= '1' then
  if redis.call('DEL', KEYS[3]) == 0 then return {'challenge_invalid'} end
  return {'ok', attempts, maxAttempts}
end
local stale = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', int(now - tonumber(ARGV[2])))
if #stale > 0 then
  for _, member in ipairs(stale) do redis.call('ZREM', KEYS[4], member) end
  attempts = redis.call('HINCRBY', KEYS[1], 'attempts', #stale)
end
if attempts >= maxAttempts then return {'locked'} end
local pending = redis.call('ZCARD', KEYS[4])
if attempts + pending >= maxAttempts then return {'busy'} end
if redis.call('DEL', KEYS[3]) == 0 then return {'challenge_invalid'} end
redis.call('ZADD', KEYS[4], int(now), ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[4], ttl) end
return {'ok', attempts + pending + 1, maxAttempts}
