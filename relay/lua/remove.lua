local s = redis.call('HMGET', KEYS[1], 'ownerHash', 'expiresAt')
if not s[1] then return missing() end
if s[1] ~= ARGV[1] then return {'unauthorized'} end
destroy('deleted', s[2], ARGV[2])
return {'ok'}
