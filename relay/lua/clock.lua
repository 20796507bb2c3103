-- The clock of every script: time comes from Redis, never from a relay, so several relays with skewed
-- clocks still agree on what has expired.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
