#include "Scripts.h"

#include <array>
#include <openssl/evp.h>

namespace ots::relay {

namespace {

std::string sha1Hex(std::string_view text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("SHA-1 of a Lua script failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 0xf]);
    }
    return out;
}

// Shared by every script. Time comes from Redis, never from a relay, so several relays with skewed
// clocks still agree on what has expired. Numbers handed back to redis.call go through int(): Lua
// would otherwise print large ones in exponent form.
constexpr std::string_view kPrelude = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local function int(n) return string.format('%d', n) end
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
)lua";

// For share scripts: KEYS[1] = ots:{ID}:share, KEYS[2] = ots:{ID}:gone.
constexpr std::string_view kSharePrelude = R"lua(
local function missing()
  local why = redis.call('GET', KEYS[2])
  if why then return {'gone', why} end
  return {'not_found'}
end
-- Deletes every key of the share and leaves the tombstone. Ticket keys are named from the share's
-- ticket index; they carry the same hash tag, so this stays in the share's slot.
local function destroy(reason, expiresAt, tombstoneSeconds)
  local base = string.sub(KEYS[1], 1, -6)
  for _, h in ipairs(redis.call('ZRANGE', base .. 'tickets', 0, -1)) do
    redis.call('DEL', base .. 'ticket:' .. h)
  end
  redis.call('DEL', KEYS[1], base .. 'tickets', base .. 'lease', base .. 'pending')
  redis.call('SET', KEYS[2], reason)
  redis.call('PEXPIREAT', KEYS[2], int((tonumber(expiresAt) + tonumber(tombstoneSeconds)) * 1000))
end
)lua";

Script shareScript(std::string_view name, std::string_view body) {
    std::string source = std::string(kPrelude) + std::string(kSharePrelude) + std::string(body);
    std::string sha = sha1Hex(source);
    return {name, std::move(source), std::move(sha)};
}

Script relayScript(std::string_view name, std::string_view body) {
    std::string source = std::string(kPrelude) + std::string(body);
    std::string sha = sha1Hex(source);
    return {name, std::move(source), std::move(sha)};
}

} // namespace

namespace scripts {

// Owner tokens and tickets are compared as hex BLAKE2b-256 hashes with Lua's ==. That comparison is
// not constant-time, but what it could leak is a prefix of a hash of 32 random bytes, which gives no
// way to build a matching token.

const Script create = shareScript("create", R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
local expiresAt = tonumber(ARGV[2])
-- The expiry index entry was written first; a share created after it fell due would escape the sweeper.
if nowMs() >= expiresAt * 1000 then return {'expired'} end
redis.call('HSET', KEYS[1], 'progressAt', int(nowMs()))
redis.call('HSET', KEYS[1], 'state', 'uploading', 'size', ARGV[1], 'offset', '0', 'expiresAt', ARGV[2],
  'maxDownloads', ARGV[3], 'reserved', '0', 'finished', '0', 'lapsed', '0', 'attempts', '0',
  'maxAttempts', ARGV[4], 'authPk', ARGV[5], 'ownerHash', ARGV[6], 'kdf', ARGV[7], 'metadata', ARGV[8],
  'linkPk', ARGV[10], 'client', ARGV[11], 'createdAt', int(math.floor(nowMs() / 1000)))
redis.call('PEXPIREAT', KEYS[1], int((expiresAt + tonumber(ARGV[9])) * 1000))
return {'ok'}
)lua");

const Script appendBegin = shareScript("appendBegin", R"lua(
local s = redis.call('HMGET', KEYS[1], 'ownerHash', 'state', 'offset', 'size', 'expiresAt')
if not s[1] then return missing() end
if s[1] ~= ARGV[1] then return {'unauthorized'} end
if nowMs() >= tonumber(s[5]) * 1000 then return {'gone', 'expired'} end
if s[2] ~= 'uploading' then return {'offset_mismatch', tonumber(s[3])} end
local holder = redis.call('GET', KEYS[3])
if holder then return {'upload_in_progress', holder} end
if s[3] ~= ARGV[2] then return {'offset_mismatch', tonumber(s[3])} end
if tonumber(ARGV[2]) + tonumber(ARGV[3]) > tonumber(s[4]) then return {'too_large', tonumber(s[4])} end
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
return {'ok', tonumber(s[4])}
)lua");

const Script appendEnd = shareScript("appendEnd", R"lua(
if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  if redis.call('EXISTS', KEYS[1]) == 0 then return missing() end
  return {'lease_lost'}
end
redis.call('DEL', KEYS[3])
local s = redis.call('HMGET', KEYS[1], 'offset', 'size')
if not s[1] then return missing() end
if s[1] ~= ARGV[2] or tonumber(ARGV[2]) + tonumber(ARGV[3]) > tonumber(s[2]) then return {'lease_lost'} end
-- Progress, for upload-idle-timeout: only bytes count (an empty append is a poll, not progress).
if tonumber(ARGV[3]) > 0 then redis.call('HSET', KEYS[1], 'progressAt', int(nowMs())) end
return {'ok', redis.call('HINCRBY', KEYS[1], 'offset', ARGV[3])}
)lua");

const Script completeBegin = shareScript("completeBegin", R"lua(
local s = redis.call('HMGET', KEYS[1], 'ownerHash', 'state', 'offset', 'size', 'expiresAt')
if not s[1] then return missing() end
if s[1] ~= ARGV[1] then return {'unauthorized'} end
if nowMs() >= tonumber(s[5]) * 1000 then return {'gone', 'expired'} end
if s[2] ~= 'uploading' then return {'already'} end
local holder = redis.call('GET', KEYS[3])
if holder then return {'upload_in_progress', holder} end
if s[3] ~= s[4] then return {'incomplete', tonumber(s[3]), tonumber(s[4])} end
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
return {'ok', tonumber(s[4])}
)lua");

const Script completeEnd = shareScript("completeEnd", R"lua(
if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  if redis.call('EXISTS', KEYS[1]) == 0 then return missing() end
  return {'lease_lost'}
end
redis.call('DEL', KEYS[3])
if redis.call('EXISTS', KEYS[1]) == 0 then return missing() end
redis.call('HSET', KEYS[1], 'state', 'ready')
return {'ok'}
)lua");

const Script challenge = shareScript("challenge", R"lua(
local s = redis.call('HMGET', KEYS[1], 'state', 'expiresAt', 'attempts', 'maxAttempts')
if not s[1] then return missing() end
if nowMs() >= tonumber(s[2]) * 1000 then return {'gone', 'expired'} end
if s[1] ~= 'ready' then return {'not_ready'} end
if tonumber(s[3]) >= tonumber(s[4]) then return {'locked'} end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
return {'ok'}
)lua");

// The first step of every proof: the share's state and that the nonce is live; the link key comes back
// for the relay to check the link signature. Nothing is counted or consumed here: a stranger who knows
// only the share id fails the link signature (the relay then deletes the nonce) and never reaches the
// attempts.
const Script proofBegin = shareScript("proofBegin", R"lua(
local s = redis.call('HMGET', KEYS[1], 'state', 'expiresAt', 'reserved', 'maxDownloads', 'linkPk', 'authPk',
  'kdf')
if not s[1] then return missing() end
if nowMs() >= tonumber(s[2]) * 1000 then return {'gone', 'expired'} end
if s[1] ~= 'ready' then return {'not_ready'} end
if ARGV[1] == '1' and tonumber(s[3]) >= tonumber(s[4]) then return {'no_downloads_left'} end
if redis.call('EXISTS', KEYS[3]) == 0 then return {'challenge_invalid'} end
local passwordRequired = '0'
if s[7] and s[7] ~= '' then passwordRequired = '1' end
return {'ok', s[5], s[6], passwordRequired}
)lua");

// After a valid link signature: consumes the nonce and, for a share with a password (ARGV[3] = '1'),
// reserves an attempt before the password proof is checked, so however many proofs race, at most
// maxAttempts of them are past this point between two successes. Failures so far (attempts) and
// verifications running now (the pending set) both count, so "locked" means maxAttempts real failures,
// while a share whose remaining attempts are all being checked at this moment answers "busy"; both
// leave the nonce for a retry. A pending entry older than its stale age belongs to a relay that died
// while verifying; it counts as a failure, the conservative reading. Without a password the link
// secret is the whole key: nothing is counted, and such a share never locks.
const Script attemptBegin = shareScript("attemptBegin", R"lua(
local s = redis.call('HMGET', KEYS[1], 'expiresAt', 'attempts', 'maxAttempts')
if not s[1] then return missing() end
local now = nowMs()
if now >= tonumber(s[1]) * 1000 then return {'gone', 'expired'} end
local attempts = tonumber(s[2])
local maxAttempts = tonumber(s[3])
if ARGV[3] ~= '1' then
  if redis.call('DEL', KEYS[3]) == 0 then return {'challenge_invalid'} end
  return {'ok', attempts, maxAttempts}
end
local stale = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', int(now - tonumber(ARGV[2])))
if #stale > 0 then
  for _, member in ipairs(stale) do redis.call('ZREM', KEYS[4], member) end
  attempts = redis.call('HINCRBY', KEYS[1], 'attempts', #stale)
end
if attempts >= maxAttempts then return {'locked'} end
local pending = redis.call('ZCARD', KEYS[4])
if attempts + pending >= maxAttempts then return {'busy'} end
if redis.call('DEL', KEYS[3]) == 0 then return {'challenge_invalid'} end
redis.call('ZADD', KEYS[4], int(now), ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[4], ttl) end
return {'ok', attempts + pending + 1, maxAttempts}
)lua");

// A wrong proof: its pending attempt becomes a failure.
const Script attemptFail = shareScript("attemptFail", R"lua(
local s = redis.call('HMGET', KEYS[1], 'attempts', 'maxAttempts')
if not s[1] then return missing() end
local attempts = tonumber(s[1])
if redis.call('ZREM', KEYS[3], ARGV[1]) == 1 then
  attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
end
return {'ok', attempts, tonumber(s[2])}
)lua");

// A valid proof for the metadata: the pending attempt is dropped (refunded).
const Script attemptRefund = shareScript("attemptRefund", R"lua(
local metadata = redis.call('HGET', KEYS[1], 'metadata')
if not metadata then return missing() end
redis.call('ZREM', KEYS[3], ARGV[1])
return {'ok', metadata}
)lua");

// A valid proof for a download: refund its attempt and, if one is left, reserve a download and store
// the ticket.
const Script reserve = shareScript("reserve", R"lua(
local s = redis.call('HMGET', KEYS[1], 'reserved', 'maxDownloads', 'size', 'expiresAt')
if not s[1] then return missing() end
redis.call('ZREM', KEYS[5], ARGV[3])
local now = nowMs()
if now >= tonumber(s[4]) * 1000 then return {'gone', 'expired'} end
if tonumber(s[1]) >= tonumber(s[2]) then return {'no_downloads_left'} end
redis.call('HINCRBY', KEYS[1], 'reserved', 1)
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
redis.call('ZADD', KEYS[4], int(now + tonumber(ARGV[2])), ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[4], ttl) end
return {'ok', tonumber(s[3]), tonumber(s[2]) - tonumber(s[1]) - 1}
)lua");

const Script ticketCheck = shareScript("ticketCheck", R"lua(
local size = redis.call('HGET', KEYS[1], 'size')
if not size then return missing() end
if redis.call('EXISTS', KEYS[3]) == 0 then return {'unauthorized'} end
return {'ok', tonumber(size)}
)lua");

const Script finish = shareScript("finish", R"lua(
local s = redis.call('HMGET', KEYS[1], 'maxDownloads', 'reserved', 'finished', 'lapsed', 'expiresAt')
if not s[1] then return missing() end
if redis.call('DEL', KEYS[3]) == 0 then return {'unauthorized'} end
redis.call('ZREM', KEYS[4], ARGV[1])
local finished = redis.call('HINCRBY', KEYS[1], 'finished', 1)
local maxDownloads = tonumber(s[1])
if finished + tonumber(s[4]) >= maxDownloads then
  destroy('downloaded', s[5], ARGV[2])
  return {'destroyed', 0}
end
return {'ok', maxDownloads - tonumber(s[2])}
)lua");

const Script ticketLapse = shareScript("ticketLapse", R"lua(
local s = redis.call('HMGET', KEYS[1], 'maxDownloads', 'finished', 'lapsed', 'expiresAt')
if not s[1] then return {'absent'} end
local score = redis.call('ZSCORE', KEYS[4], ARGV[1])
if not score then return {'none'} end
if tonumber(score) > nowMs() then return {'later', tonumber(score)} end
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('DEL', KEYS[3])
local lapsed = redis.call('HINCRBY', KEYS[1], 'lapsed', 1)
if tonumber(s[2]) + lapsed >= tonumber(s[1]) then
  destroy('downloaded', s[4], ARGV[2])
  return {'destroyed'}
end
return {'none'}
)lua");

// A live ticket keeps an expired share (and its blob) until the ticket lapses, so a download that
// began before the expiry can finish.
const Script expireCheck = shareScript("expireCheck", R"lua(
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
)lua");

const Script remove = shareScript("remove", R"lua(
local s = redis.call('HMGET', KEYS[1], 'ownerHash', 'expiresAt')
if not s[1] then return missing() end
if s[1] ~= ARGV[1] then return {'unauthorized'} end
destroy('deleted', s[2], ARGV[2])
return {'ok'}
)lua");

// The relay operator's takedown (ots-relay admin takedown): like the owner's delete, without the owner
// token, and even for a share past its expiry that the sweeper has not reached yet.
const Script takedown = shareScript("takedown", R"lua(
local expiresAt = redis.call('HGET', KEYS[1], 'expiresAt')
if not expiresAt then return missing() end
destroy('removed', expiresAt, ARGV[1])
return {'ok'}
)lua");

const Script unlock = shareScript("unlock", R"lua(
local s = redis.call('HMGET', KEYS[1], 'ownerHash', 'expiresAt')
if not s[1] then return missing() end
if s[1] ~= ARGV[1] then return {'unauthorized'} end
if nowMs() >= tonumber(s[2]) * 1000 then return {'gone', 'expired'} end
redis.call('HSET', KEYS[1], 'attempts', '0')
return {'ok'}
)lua");

// Read-only: public info (ARGV[1] empty) and owner status.
const Script status = shareScript("status", R"lua(
local s = redis.call('HMGET', KEYS[1], 'state', 'size', 'offset', 'expiresAt', 'maxDownloads', 'reserved',
  'finished', 'attempts', 'maxAttempts', 'kdf', 'ownerHash')
if not s[1] then return missing() end
if ARGV[1] ~= '' and s[11] ~= ARGV[1] then return {'unauthorized'} end
if nowMs() >= tonumber(s[4]) * 1000 then return {'gone', 'expired'} end
return {'ok', s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10]}
)lua");

// Deletes the lease if its value starts with ARGV[1] and, when ARGV[2] is not empty, does not start
// with ARGV[2]: at start-up, the leases of this relay's previous runs but not of this one; with the
// whole value as ARGV[1] and ARGV[2] empty, a compare-and-delete of one lease.
const Script leaseReclaim = relayScript("leaseReclaim", R"lua(
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1]) == ARGV[1] and
    (ARGV[2] == nil or ARGV[2] == '' or string.sub(v, 1, #ARGV[2]) ~= ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
)lua");

// Quota and the expiry index in one step, before the share exists: whatever happens next, the
// sweeper finds the id and releases what was reserved.
// Everything a create reserves, in one step: the client's hourly allowance (KEYS[4] .. ':' .. hour, a
// hash of bytes and shares with the window as TTL: ARGV[8] bytes, ARGV[9] shares), the storage quota
// (ARGV[2] bytes = the ciphertext plus the share's Redis footprint, against ARGV[3]) and the Redis
// budget (ARGV[6] bytes of footprint against ARGV[7]; 0 = none), whose per-share amounts KEYS[6] keeps
// for the release. The expiry entry falls due at the upload-idle-timeout (ARGV[5] ms) at the latest:
// the sweeper's expireCheck then either deletes a stalled upload or moves the entry on.
const Script quotaReserve = relayScript("quotaReserve", R"lua(
local t = redis.call('TIME')
local window = 3600
local slot = math.floor(tonumber(t[1]) / window)
local clientKey = KEYS[4] .. ':' .. int(slot)
local c = redis.call('HMGET', clientKey, 'bytes', 'shares')
if tonumber(c[2] or '0') + 1 > tonumber(ARGV[9]) or
   tonumber(c[1] or '0') + tonumber(ARGV[2]) > tonumber(ARGV[8]) then
  return {'limited', (slot + 1) * window - tonumber(t[1])}
end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return {'full'} end
local redisUsed = tonumber(redis.call('GET', KEYS[5]) or '0')
if tonumber(ARGV[7]) > 0 and redisUsed + tonumber(ARGV[6]) > tonumber(ARGV[7]) then return {'redis_full'} end
redis.call('HINCRBY', clientKey, 'bytes', ARGV[2])
if redis.call('HINCRBY', clientKey, 'shares', 1) == 1 then redis.call('EXPIRE', clientKey, window) end
redis.call('INCRBY', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('INCRBY', KEYS[5], ARGV[6])
redis.call('HSET', KEYS[6], ARGV[1], ARGV[6])
local expiresAt = tonumber(t[1]) + tonumber(ARGV[4])
local nowMsec = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[3], int(math.min(expiresAt * 1000, nowMsec + tonumber(ARGV[5]))), ARGV[1])
return {'ok', expiresAt}
)lua");

// HDEL decides: the quota of a share is released exactly once however many relays clean it up.
const Script quotaRelease = relayScript("quotaRelease", R"lua(
local removed = redis.call('ZREM', KEYS[3], ARGV[1])
local size = redis.call('HGET', KEYS[2], ARGV[1])
if size and redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
  if redis.call('DECRBY', KEYS[1], size) < 0 then redis.call('SET', KEYS[1], '0') end
end
local footprint = redis.call('HGET', KEYS[5], ARGV[1])
if footprint and redis.call('HDEL', KEYS[5], ARGV[1]) == 1 then
  if redis.call('DECRBY', KEYS[4], footprint) < 0 then redis.call('SET', KEYS[4], '0') end
end
return removed
)lua");

// Sets the member's score to Redis time + ARGV[2]. With ARGV[3] = 'sooner' it only brings an existing
// member forward (never adds one, never moves one later): how a finish or delete makes sure the sweeper
// looks at the share soon, should the relay die between deleting the keys and deleting the blob.
const Script schedule = relayScript("schedule", R"lua(
local at = nowMs() + tonumber(ARGV[2])
if ARGV[3] == 'sooner' then
  local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if not current or tonumber(current) <= at then return at end
end
redis.call('ZADD', KEYS[1], int(at), ARGV[1])
return at
)lua");

// Counts a create per client bucket in the hour's windows (ots-relay admin stats): creates and bytes
// reserved, each a sorted set whose TTL outlives the hour it counts by one more.
const Script createStats = relayScript("createStats", R"lua(
local hour = math.floor(tonumber(redis.call('TIME')[1]) / 3600)
for i, increment in ipairs({'1', ARGV[2]}) do
  local key = KEYS[i] .. ':' .. int(hour)
  redis.call('ZINCRBY', key, increment, ARGV[1])
  redis.call('EXPIRE', key, ARGV[3])
end
return 1
)lua");

// Fixed window per client address; the window number is part of the key, whose TTL is the window.
const Script rateLimit = relayScript("rateLimit", R"lua(
local now = tonumber(redis.call('TIME')[1])
local window = tonumber(ARGV[2])
local slot = math.floor(now / window)
local key = KEYS[1] .. ':' .. int(slot)
local count = redis.call('INCR', key)
if count == 1 then redis.call('EXPIRE', key, ARGV[2]) end
if count > tonumber(ARGV[1]) then return {'limited', (slot + 1) * window - now} end
return {'ok'}
)lua");

} // namespace scripts

ReplyPtr runScript(RedisConnection& redis, const Script& script, const std::vector<std::string>& keys,
                   const std::vector<std::string>& args) {
    const std::string keyCount = std::to_string(keys.size());
    std::vector<std::string_view> argv;
    argv.reserve(3 + keys.size() + args.size());
    argv.emplace_back("EVALSHA");
    argv.emplace_back(script.sha1);
    argv.emplace_back(keyCount);
    for (const std::string& key : keys)
        argv.emplace_back(key);
    for (const std::string& arg : args)
        argv.emplace_back(arg);
    ReplyPtr reply = redis.command(argv, true);
    if (reply->type == REDIS_REPLY_ERROR) {
        const std::string_view message(reply->str, reply->len);
        if (!message.starts_with("NOSCRIPT"))
            throw RedisError("Redis script " + std::string(script.name) + " failed: " + std::string(message));
        argv[0] = "EVAL";
        argv[1] = script.source;
        reply = redis.command(argv);
    }
    return reply;
}

} // namespace ots::relay
