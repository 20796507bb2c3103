-- The test clock (test-clock = true; tests only): Redis time plus the offset in milliseconds that a
-- test keeps in {ots}:test:clock-offset (absent: 0), so an expiry test advances time instead of
-- sleeping. The key is read undeclared, outside the script's slot: a single Redis only, never Cluster.
local function nowMs()
  local t = redis.call('TIME')
  local offset = tonumber(redis.call('GET', '{ots}:test:clock-offset') or '0')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + offset
end
