-- Fixed window per client address; the window number is part of the key, whose TTL is the window.
local now = tonumber(redis.call('TIME')[1])
local window = tonumber(ARGV[2])
local slot = math.floor(now / window)
local key = KEYS[1] .. ':' .. int(slot)
local count = redis.call('INCR', key)
if count == 1 then redis.call('EXPIRE', key, ARGV[2]) end
if count > tonumber(ARGV[1]) then return {'limited', (slot + 1) * window - now} end
return {'ok'}
