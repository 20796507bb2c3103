-- The first step of every proof: the share's state and that the nonce is live; the link key comes back
-- for the relay to check the link signature. Nothing is counted or consumed here: a stranger who knows
-- only the share id fails the link signature (the relay then deletes the nonce) and never reaches the
-- attempts. For a download, KEYS[4] is the key of the ticket the client chose: a ticket that already
-- holds a reservation is a retry whose answer was lost (§10.6), so a share whose downloads are all
-- reserved still lets it through.
local s = redis.call('HMGET', KEYS[1], 'state', 'expiresAt', 'reserved', 'maxDownloads', 'linkPk', 'authPk',
  'kdf')
if not s[1] then return missing() end
if nowMs() >= tonumber(s[2]) * 1000 then return {'gone', 'expired'} end
if s[1] ~= 'ready' then return {'not_ready'} end
if ARGV[1] == '1' and tonumber(s[3]) >= tonumber(s[4]) and redis.call('EXISTS', KEYS[4]) == 0 then
  return {'no_downloads_left'}
end
if redis.call('EXISTS', KEYS[3]) == 0 then return {'challenge_invalid'} end
local passwordRequired = '0'
if s[7] and s[7] ~= '' then passwordRequired = '1' end
return {'ok', s[5], s[6], passwordRequired}
