local s = redis.call('HMGET', KEYS[1], 'state', 'expiresAt', 'attempts', 'maxAttempts')
if not s[1] then return missing() end
local now = nowMs()
if now >= tonumber(s[2]) * 1000 then return {'gone', 'expired'} end
if s[1] ~= 'ready' then return {'not_ready'} end
if tonumber(s[3]) >= tonumber(s[4]) then return {'locked'} end
-- The nonce holds when it lapses (ms), on the scripts' clock; its TTL only lets Redis drop it.
redis.call('SET', KEYS[3], int(now + tonumber(ARGV[1])), 'PX', ARGV[1])
return {'ok'}
