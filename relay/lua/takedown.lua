-- The relay operator's takedown (ots-relay admin takedown): like the owner's delete, without the owner
-- token, and even for a share past its expiry that the sweeper has not reached yet.
local expiresAt = redis.call('HGET', KEYS[1], 'expiresAt')
if not expiresAt then return missing() end
destroy('removed', expiresAt, ARGV[1])
return {'ok'}
