-- For the scripts that admit a client (rate_limit.lua, quota_reserve.lua): a client the operator
-- blocked (blockKey, `ots-relay admin block`) is refused first; then a fixed window per client address,
-- whose number is part of the key (windowPrefix .. ':' .. window) and whose TTL is the window.
-- Returns nil when the client may go on, else the reply: {'blocked'} or {'limited', seconds}.
local function refuseClient(windowPrefix, blockKey, limit, windowSeconds, nowSeconds)
  if redis.call('EXISTS', blockKey) == 1 then return {'blocked'} end
  local window = tonumber(windowSeconds)
  local slot = math.floor(nowSeconds / window)
  local key = windowPrefix .. ':' .. int(slot)
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, windowSeconds) end
  if count > tonumber(limit) then return {'limited', (slot + 1) * window - nowSeconds} end
  return nil
end
