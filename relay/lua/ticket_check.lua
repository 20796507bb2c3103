local size = redis.call('HGET', KEYS[1], 'size')
if not size then return missing() end
local due = redis.call('GET', KEYS[3])
if not due or nowMs() >= tonumber(due) then return {'unauthorized'} end
return {'ok', tonumber(size)}
