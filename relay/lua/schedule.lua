-- Sets the member's score to Redis time + ARGV[2]. With ARGV[3] = 'sooner' it only brings an existing
-- member forward (never adds one, never moves one later): how a finish or delete makes sure the sweeper
-- looks at the share soon, should the relay die between deleting the keys and deleting the blob.
-- With ARGV[3] = 'absent' it only adds a member that is not there yet: a retried reservation under
-- the same ticket keeps the lapse time its first reservation set.
local at = nowMs() + tonumber(ARGV[2])
if ARGV[3] == 'absent' then
  redis.call('ZADD', KEYS[1], 'NX', int(at), ARGV[1])
  return at
end
if ARGV[3] == 'sooner' then
  local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if not current or tonumber(current) <= at then return at end
end
redis.call('ZADD', KEYS[1], int(at), ARGV[1])
return at
