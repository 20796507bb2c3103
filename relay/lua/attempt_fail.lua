-- A wrong proof: its pending attempt becomes a failure.
local s = redis.call('HMGET', KEYS[1], 'attempts', 'maxAttempts')
if not s[1] then return missing() end
local attempts = tonumber(s[1])
if redis.call('ZREM', KEYS[3], ARGV[1]) == 1 then
  attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
end
return {'ok', attempts, tonumber(s[2])}
