-- Counts a create per client bucket in the hour's windows (ots-relay admin stats): creates and bytes
-- reserved, each a sorted set whose TTL outlives the hour it counts by one more.
local hour = math.floor(tonumber(redis.call('TIME')[1]) / 3600)
for i, increment in ipairs({'1', ARGV[2]}) do
  local key = KEYS[i] .. ':' .. int(hour)
  redis.call('ZINCRBY', key, increment, ARGV[1])
  redis.call('EXPIRE', key, ARGV[3])
end
return 1
