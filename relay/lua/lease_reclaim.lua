-- Deletes the lease if its value starts with ARGV[1] and, when ARGV[2] is not empty, does not start
-- with ARGV[2]: at start-up, the leases of this relay's previous runs but not of this one; with the
-- whole value as ARGV[1] and ARGV[2] empty, a compare-and-delete of one lease.
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1]) == ARGV[1] and
    (ARGV[2] == nil or ARGV[2] == '' or string.sub(v, 1, #ARGV[2]) ~= ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
