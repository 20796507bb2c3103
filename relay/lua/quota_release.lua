-- HDEL decides: the quota of a share is released exactly once however many relays clean it up.
local removed = redis.call('ZREM', KEYS[3], ARGV[1])
local size = redis.call('HGET', KEYS[2], ARGV[1])
if size and redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
  if redis.call('DECRBY', KEYS[1], size) < 0 then redis.call('SET', KEYS[1], '0') end
end
local footprint = redis.call('HGET', KEYS[5], ARGV[1])
if footprint and redis.call('HDEL', KEYS[5], ARGV[1]) == 1 then
  if redis.call('DECRBY', KEYS[4], footprint) < 0 then redis.call('SET', KEYS[4], '0') end
end
return removed
