-- Shared by every script. Time comes from Redis, never from a relay, so several relays with skewed
-- clocks still agree on what has expired. Numbers handed back to redis.call go through int(): Lua
-- would otherwise print large ones in exponent form.
if redis.replicate_commands then redis.replicate_commands() end
local function int(n) return string.format('%d', n) end
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
