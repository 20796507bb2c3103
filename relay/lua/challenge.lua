local s = redis.call('HMGET', KEYS[1], 'state', 'expiresAt', 'attempts', 'maxAttempts')
if not s[1] then return missing() end
if nowMs() >= tonumber(s[2]) * 1000 then return {'gone', 'expired'} end
if s[1] ~= 'ready' then return {'not_ready'} end
if tonumber(s[3]) >= tonumber(s[4]) then return {'locked'} end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
return {'ok'}
