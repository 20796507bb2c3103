-- Fixed window per client address; the window number is part of the key, whose TTL is the window.
-- A client the operator blocked (KEYS[2], `ots-relay admin block`) is refused first, in the same
-- round trip.
if redis.call('EXISTS', KEYS[2]) == 1 then return {'blocked'} end
local now = tonumber(redis.call('TIME')[1])
local window = tonumber(ARGV[2])
local slot = math.floor(now / window)
local key = KEYS[1] .. ':' .. int(slot)
local count = redis.call('INCR', key)
if count == 1 then redis.call('EXPIRE', key, ARGV[2]) end
if count > tonumber(ARGV[1]) then return {'limited', (slot + 1) * window - now} end
return {'ok'}
