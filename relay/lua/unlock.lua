local s = redis.call('HMGET', KEYS[1], 'ownerHash', 'expiresAt')
if not s[1] then return missing() end
if s[1] ~= ARGV[1] then return {'unauthorized'} end
if nowMs() >= tonumber(s[2]) * 1000 then return {'gone', 'expired'} end
redis.call('HSET', KEYS[1], 'attempts', '0')
return {'ok'}
