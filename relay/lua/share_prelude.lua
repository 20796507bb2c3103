-- For share scripts: KEYS[1] = ots:{ID}:share, KEYS[2] = ots:{ID}:gone.
--
-- Owner tokens and tickets are compared as hex BLAKE2b-256 hashes with Lua's ==. That comparison is
-- not constant-time, but what it could leak is a prefix of a hash of 32 random bytes, which gives no
-- way to build a matching token.
local function missing()
  local why = redis.call('GET', KEYS[2])
  if why then return {'gone', why} end
  return {'not_found'}
end
-- Deletes every key of the share and leaves the tombstone. Ticket keys are named from the share's
-- ticket index; they carry the same hash tag, so this stays in the share's slot.
local function destroy(reason, expiresAt, tombstoneSeconds)
  local base = string.sub(KEYS[1], 1, -6)
  for _, h in ipairs(redis.call('ZRANGE', base .. 'tickets', 0, -1)) do
    redis.call('DEL', base .. 'ticket:' .. h)
  end
  redis.call('DEL', KEYS[1], base .. 'tickets', base .. 'lease', base .. 'pending')
  redis.call('SET', KEYS[2], reason)
  redis.call('PEXPIREAT', KEYS[2], int((tonumber(expiresAt) + tonumber(tombstoneSeconds)) * 1000))
end
