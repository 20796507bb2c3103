if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
local expiresAt = tonumber(ARGV[2])
-- The expiry index entry was written first; a share created after it fell due would escape the sweeper.
local now = nowMs()
if now >= expiresAt * 1000 then return {'expired'} end
-- progressAt: the start of the upload-idle-timeout (an append that stores bytes moves it).
redis.call('HSET', KEYS[1], 'state', 'uploading', 'size', ARGV[1], 'offset', '0', 'expiresAt', ARGV[2],
  'maxDownloads', ARGV[3], 'reserved', '0', 'finished', '0', 'lapsed', '0', 'attempts', '0',
  'maxAttempts', ARGV[4], 'authPk', ARGV[5], 'ownerHash', ARGV[6], 'kdf', ARGV[7], 'metadata', ARGV[8],
  'linkPk', ARGV[10], 'client', ARGV[11], 'createdAt', int(math.floor(now / 1000)), 'progressAt', int(now))
redis.call('PEXPIREAT', KEYS[1], int((expiresAt + tonumber(ARGV[9])) * 1000))
return {'ok'}
