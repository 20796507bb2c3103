local s = redis.call('HMGET', KEYS[1], 'maxDownloads', 'finished', 'lapsed', 'expiresAt')
if not s[1] then return {'absent'} end
local score = redis.call('ZSCORE', KEYS[4], ARGV[1])
if not score then return {'none'} end
if tonumber(score) > nowMs() then return {'later', tonumber(score)} end
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('DEL', KEYS[3])
local lapsed = redis.call('HINCRBY', KEYS[1], 'lapsed', 1)
if tonumber(s[2]) + lapsed >= tonumber(s[1]) then
  destroy('downloaded', s[4], ARGV[2])
  return {'destroyed'}
end
return {'none'}
