local s = redis.call('HMGET', KEYS[1], 'ownerHash', 'state', 'offset', 'size', 'expiresAt')
if not s[1] then return missing() end
if s[1] ~= ARGV[1] then return {'unauthorized'} end
if nowMs() >= tonumber(s[5]) * 1000 then return {'gone', 'expired'} end
if s[2] ~= 'uploading' then return {'offset_mismatch', tonumber(s[3])} end
local holder = redis.call('GET', KEYS[3])
if holder then return {'upload_in_progress', holder} end
if s[3] ~= ARGV[2] then return {'offset_mismatch', tonumber(s[3])} end
if tonumber(ARGV[2]) + tonumber(ARGV[3]) > tonumber(s[4]) then return {'too_large', tonumber(s[4])} end
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
return {'ok', tonumber(s[4])}
