local s = redis.call('HMGET', KEYS[1], 'maxDownloads', 'reserved', 'finished', 'lapsed', 'expiresAt')
if not s[1] then return missing() end
if redis.call('DEL', KEYS[3]) == 0 then return {'unauthorized'} end
redis.call('ZREM', KEYS[4], ARGV[1])
local finished = redis.call('HINCRBY', KEYS[1], 'finished', 1)
local maxDownloads = tonumber(s[1])
if finished + tonumber(s[4]) >= maxDownloads then
  destroy('downloaded', s[5], ARGV[2])
  return {'destroyed', 0}
end
return {'ok', maxDownloads - tonumber(s[2])}
