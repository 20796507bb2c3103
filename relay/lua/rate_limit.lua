-- KEYS[1] = the window key prefix, KEYS[2] = the block key; ARGV[1] = limit, ARGV[2] = window seconds.
local refused = refuseClient(KEYS[1], KEYS[2], ARGV[1], ARGV[2], math.floor(nowMs() / 1000))
if refused then return refused end
return {'ok'}
