-- The first step of every proof: the share's state and that the nonce is live; the link key comes back
-- for the relay to check the link signature. Nothing is counted or consumed here: a stranger who knows
-- only the share id fails the link signature (the relay then deletes the nonce) and never reaches the
-- attempts. For a download, KEYS[4] is the key of the ticket the client chose: a ticket that already
-- holds a reservation is a retry whose answer was lost (§10.6), so a share whose downloads are all
-- reserved still lets it through.
local s = redis.call('HMGET', KEYS[1], 'state', 'expiresAt', 'reserved', 'maxDownloads', 'linkPk', 'authPk',
  'kdf')
if not s[1] then return missing() end
local now = nowMs()
if now >= tonumber(s[2]) * 1000 then return {'gone', 'expired'} end
if s[1] ~= 'ready' then return {'not_ready'} end
-- A ticket, like a nonce, holds when it lapses (ms, the scripts' clock).
local function live(key)
  local due = redis.call('GET', key)
  return due ~= false and now < tonumber(due)
end
if ARGV[1] == '1' and tonumber(s[3]) >= tonumber(s[4]) and not live(KEYS[4]) then
  return {'no_downloads_left'}
end
if not live(KEYS[3]) then return {'challenge_invalid'} end
local passwordRequired = '0'
if s[7] and s[7] ~= '' then passwordRequired = '1' end
return {'ok', s[5], s[6], passwordRequired}
