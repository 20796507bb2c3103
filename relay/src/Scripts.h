#pragma once

// The Lua scripts behind every state transition that two requests can race on (SPEC §10.11). Each
// runs atomically in Redis, so "check then change" can never interleave with another request. Their
// Lua is in relay/lua/, one file per script (append_begin.lua for appendBegin), embedded at build time.
//
// Key conventions: a share script's KEYS all carry the share's hash tag (ots:{ID}:…), a relay-wide
// script's KEYS all carry {ots}; no script mixes the two, so each runs in one Cluster slot. A few
// scripts derive further keys of the same share from KEYS[1] (ticket keys listed in the share's
// ticket index), which stays inside that slot.
//
// Replies: an array whose first element names the outcome ("ok", "gone", "not_found",
// "unauthorized", …) followed by values; ShareStore turns them into typed results.

#include "RedisConnection.h"

#include <string>
#include <string_view>
#include <vector>

namespace ots::relay {

/// Each script in two variants that differ only in their clock (nowMs()): Redis time, and for a relay
/// whose test-clock setting is on, Redis time plus the offset tests keep in keys::kTestClockOffset
/// (relay/lua/test_clock.lua). Production scripts never read that key.
struct Script {
    std::string_view name;
    std::string source;
    std::string sha1; ///< hex, as EVALSHA wants it
    std::string testClockSource;
    std::string testClockSha1;
};

namespace scripts {
// Share scripts: KEYS[1] = ots:{ID}:share, KEYS[2] = ots:{ID}:gone, then per script.
extern const Script create;        // share gone; size expiresAt maxDownloads maxAttempts authPk ownerHash kdf
                                   // metadata keepAfterExpiry linkPk client
extern const Script appendBegin;   // share gone lease; ownerHash offset length leaseValue leaseMs
extern const Script appendEnd;     // share gone lease; leaseValue offset received
extern const Script completeBegin; // share gone lease; ownerHash leaseValue leaseMs
extern const Script completeEnd;   // share gone lease; leaseValue
extern const Script challenge;     // share gone nonce; challengeMs
extern const Script proofBegin;    // share gone nonce; needDownload(0|1) (returns linkPk authPk password)
extern const Script attemptBegin;  // share gone nonce pending; attemptId staleMs counted(0|1)
extern const Script attemptFail;   // share gone pending; attemptId
extern const Script attemptRefund; // share gone pending; attemptId (returns the metadata)
extern const Script reserve;       // share gone ticket tickets pending; ticketHash ticketMs attemptId
extern const Script ticketCheck;   // share gone ticket
extern const Script finish;        // share gone ticket tickets; ticketHash tombstoneSeconds
extern const Script ticketLapse;   // share gone ticket tickets; ticketHash tombstoneSeconds
extern const Script expireCheck;   // share gone tickets lease; tombstoneSeconds idleMs
extern const Script remove;        // share gone; ownerHash tombstoneSeconds
extern const Script takedown;      // share gone; tombstoneSeconds (the operator's removal)
extern const Script unlock;        // share gone; ownerHash
extern const Script status;        // share gone; ownerHash or ""
extern const Script leaseReclaim;  // lease; prefix keepPrefix (whole value + "": compare-and-delete)
// Relay-wide scripts on {ots}:… keys.
extern const Script quotaReserve; // usage sizes expiry client-prefix redisUsage redisSizes
                                  // rate-window-prefix block; id size quota expiresIn idleMs footprint
                                  // redisBudget clientBytes clientShares statsSeconds createsLimit
                                  // windowSeconds
extern const Script quotaRelease; // usage sizes expiry redisUsage redisSizes; id
extern const Script schedule;  // a sorted set; member delayMs ['sooner': only move an existing one earlier]
extern const Script rateLimit; // window-key-prefix block-key; limit windowSeconds
extern const Script now;       // (no keys) → the scripts' notion of now, in ms

/// Every script above, for the tests (each must load into Redis under its own SHA-1).
[[nodiscard]] const std::vector<const Script*>& all();
} // namespace scripts

/// EVALSHA, and EVAL once on NOSCRIPT (a fresh or flushed Redis), which also caches the script there.
/// testClock: the variant with the test clock (Config::testClock).
[[nodiscard]] ReplyPtr runScript(RedisConnection& redis, const Script& script,
                                 const std::vector<std::string>& keys, const std::vector<std::string>& args,
                                 bool testClock);

} // namespace ots::relay
