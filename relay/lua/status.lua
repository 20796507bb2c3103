-- Read-only: public info (ARGV[1] empty) and owner status.
local s = redis.call('HMGET', KEYS[1], 'state', 'size', 'offset', 'expiresAt', 'maxDownloads', 'reserved',
  'finished', 'attempts', 'maxAttempts', 'kdf', 'ownerHash')
if not s[1] then return missing() end
if ARGV[1] ~= '' and s[11] ~= ARGV[1] then return {'unauthorized'} end
if nowMs() >= tonumber(s[4]) * 1000 then return {'gone', 'expired'} end
return {'ok', s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10]}
