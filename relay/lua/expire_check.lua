-- A live ticket keeps an expired share (and its blob) until the ticket lapses, so a download that
-- began before the expiry can finish.
local s = redis.call('HMGET', KEYS[1], 'expiresAt', 'state', 'progressAt')
local expiresAt = s[1]
if not expiresAt then
  if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], 'expired', 'EX', ARGV[1]) end
  return {'absent'}
end
local now = nowMs()
local due = tonumber(expiresAt) * 1000
-- An upload holds its storage only while it moves: no byte for upload-idle-timeout (ARGV[2] ms) and
-- the share goes like an expired one. A running append (its lease) is moving, whatever it has
-- confirmed so far: its bytes are counted only when it ends.
if s[2] == 'uploading' and now < due then
  local idleDue = tonumber(s[3] or '0') + tonumber(ARGV[2])
  if redis.call('EXISTS', KEYS[4]) == 1 then idleDue = now + tonumber(ARGV[2]) end
  if now < idleDue then return {'later', math.min(due, idleDue)} end
  destroy('expired', expiresAt, ARGV[1])
  return {'destroyed'}
end
if now < due then return {'later', due} end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', int(now))
local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
if #last > 0 then return {'later', tonumber(last[2])} end
destroy('expired', expiresAt, ARGV[1])
return {'destroyed'}
