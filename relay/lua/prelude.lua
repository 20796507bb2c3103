-- Shared by every script, followed by one of the clocks (clock.lua, or test_clock.lua when the relay's
-- test-clock setting is on), which defines nowMs(). Numbers handed back to redis.call go through int():
-- Lua would otherwise print large ones in exponent form.
if redis.replicate_commands then redis.replicate_commands() end
local function int(n) return string.format('%d', n) end
