if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  if redis.call('EXISTS', KEYS[1]) == 0 then return missing() end
  return {'lease_lost'}
end
redis.call('DEL', KEYS[3])
local s = redis.call('HMGET', KEYS[1], 'offset', 'size')
if not s[1] then return missing() end
if s[1] ~= ARGV[2] or tonumber(ARGV[2]) + tonumber(ARGV[3]) > tonumber(s[2]) then return {'lease_lost'} end
-- Progress, for upload-idle-timeout: only bytes count (an empty append is a poll, not progress).
if tonumber(ARGV[3]) > 0 then redis.call('HSET', KEYS[1], 'progressAt', int(nowMs())) end
return {'ok', redis.call('HINCRBY', KEYS[1], 'offset', ARGV[3])}
