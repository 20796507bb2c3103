-- A valid proof for the metadata: the pending attempt is dropped (refunded).
local metadata = redis.call('HGET', KEYS[1], 'metadata')
if not metadata then return missing() end
redis.call('ZREM', KEYS[3], ARGV[1])
return {'ok', metadata}
