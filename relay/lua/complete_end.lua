if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  if redis.call('EXISTS', KEYS[1]) == 0 then return missing() end
  return {'lease_lost'}
end
redis.call('DEL', KEYS[3])
if redis.call('EXISTS', KEYS[1]) == 0 then return missing() end
redis.call('HSET', KEYS[1], 'state', 'ready')
return {'ok'}
