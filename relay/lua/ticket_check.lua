local size = redis.call('HGET', KEYS[1], 'size')
if not size then return missing() end
if redis.call('EXISTS', KEYS[3]) == 0 then return {'unauthorized'} end
return {'ok', tonumber(size)}
