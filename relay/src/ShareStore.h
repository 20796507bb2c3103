#pragma once

// Typed access to the relay's Redis state (SPEC §10.11): one method per Lua script, each returning
// what the script decided. Cheap to construct (two references), so callers make one per request on
// the worker thread that owns the connection. Every method throws RedisError when Redis fails.

#include "Config.h"
#include "LeaseRegistry.h"
#include "RedisConnection.h"
#include "Scripts.h"

#include <cstdint>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ots::relay {

/// Redis key names. Share keys carry the id as hash tag, relay-wide keys the tag {ots}.
namespace keys {
[[nodiscard]] std::string share(std::string_view id);
[[nodiscard]] std::string gone(std::string_view id);
[[nodiscard]] std::string lease(std::string_view id);
[[nodiscard]] std::string nonce(std::string_view id, std::string_view nonceHex);
[[nodiscard]] std::string ticket(std::string_view id, std::string_view ticketHash);
[[nodiscard]] std::string tickets(std::string_view id);
[[nodiscard]] std::string pending(std::string_view id); ///< attempts being verified right now
inline constexpr std::string_view kUsage = "{ots}:usage";
inline constexpr std::string_view kSizes = "{ots}:sizes";
inline constexpr std::string_view kRedisUsage = "{ots}:redis-usage"; ///< the live shares' Redis footprint
inline constexpr std::string_view kRedisSizes = "{ots}:redis-sizes"; ///< id → its footprint
/// A client's hourly allowance, also what `admin stats` reads: hash bytes, shares; the script appends
/// ":HOUR" (⌊unix seconds / 3600⌋), TTL two hours.
[[nodiscard]] std::string clientQuota(std::string_view clientBucket);
inline constexpr std::string_view kExpiry = "{ots}:expiry";
inline constexpr std::string_view kTicketExpiry =
    "{ots}:tickets"; ///< "ID:HASH" → when the ticket lapses (ms)
[[nodiscard]] std::string rateLimit(std::string_view kind, std::string_view clientBucket);
/// A client bucket the operator blocked (ots-relay admin block); its TTL is the block's duration.
inline constexpr std::string_view kBlockPrefix = "{ots}:block:";
[[nodiscard]] std::string block(std::string_view clientBucket);
/// Creates and bytes reserved per client bucket in one hour: PREFIX:HOUR, HOUR = ⌊unix seconds / 3600⌋.
inline constexpr std::string_view kClientQuotaPrefix = "{ots}:cq:";
/// The test clock's offset in ms (Config::testClock; relay/lua/test_clock.lua names it too). Only tests
/// write it, always with a TTL; a relay with the test clock off never reads it.
inline constexpr std::string_view kTestClockOffset = "{ots}:test:clock-offset";
} // namespace keys

/// Whether `text` is a share id as links, paths and key names spell it: canonical base64url of 16 bytes.
[[nodiscard]] bool isShareIdText(std::string_view text) noexcept;

class BlobStore;

/// Shares by public state, as /metrics (the sweeper) and `ots-relay admin stats` count them.
struct ShareCounts {
    std::uint64_t uploading = 0;
    std::uint64_t ready = 0;
    std::uint64_t locked = 0; ///< ready, with attempts ≥ maxAttempts
};
/// Adds the shares behind shareKeys (ots:{id}:share names, as SCAN found them) to counts with one
/// pipelined HMGET each; a key deleted since the SCAN counts nothing. Throws RedisError.
void countShareStates(RedisConnection& redis, const std::vector<std::string>& shareKeys, ShareCounts& counts);

class ShareStore;
/// After a script deleted a share's keys: the stored bytes go, then the quota and the expiry entry.
/// Should something stay (a removal that failed), the entry stays too, due within the cleanup grace
/// (scheduleCleanup ran before the script), so the sweeper tries again: the same state a kill -9 right
/// here leaves. Returns whether the store holds nothing of the share any more.
bool removeFilesAndReleaseQuota(BlobStore& blobs, ShareStore& store, const std::string& id);

/// Hex of BLAKE2b-256 (crypto_generichash) of a token's bytes: all Redis ever holds of a secret.
[[nodiscard]] std::string tokenHash(std::span<const std::uint8_t> token);
/// Lowercase hex.
[[nodiscard]] std::string toHex(std::span<const std::uint8_t> bytes);
/// Identifies this relay process's endpoint (host name, port, data folder) in upload leases, so that a
/// restarted relay can release the leases its previous run left behind (Sweeper::startupScan).
[[nodiscard]] std::string leaseOwnerPrefix(const Config& config);

enum class Verdict {
    Ok,
    NotFound,         ///< no share and no tombstone
    Gone,             ///< tombstone or expired; goneReason says which
    Unauthorized,     ///< owner token or ticket wrong
    OffsetMismatch,   ///< offset holds the stored offset
    UploadInProgress, ///< another append or complete holds the lease
    TooLarge,         ///< offset + length beyond the declared size
    LeaseLost,        ///< the lease expired or was taken over; nothing changed
    AlreadyComplete,
    Incomplete,
    NotReady,
    Locked,
    Busy, ///< every attempt left is being verified right now
    ChallengeInvalid,
    NoDownloadsLeft,
    Exists,
    Destroyed, ///< this call deleted the share's keys: the caller removes the blob and releases the quota
    Absent,    ///< sweeper: the share key is gone
    Nothing,   ///< sweeper: nothing to do
    Later,     ///< sweeper: look again at `at`
    StorageFull,
    RedisFull,      ///< the Redis budget has no room for the share's metadata
    RateLimited,    ///< over a per-minute rate limit
    Blocked,        ///< the operator blocked this client (ots-relay admin block)
    AllowanceSpent, ///< the client's hourly allowance of bytes or shares is spent
};

struct Outcome {
    Verdict verdict = Verdict::Ok;
    std::string goneReason; ///< "expired", "deleted" or "downloaded" when verdict is Gone
    [[nodiscard]] bool ok() const noexcept { return verdict == Verdict::Ok; }
};

struct NewShare {
    std::uint64_t size = 0;
    std::uint32_t maxDownloads = 1;
    std::uint32_t maxAttempts = 5;
    std::string authPublicKey; ///< 32 raw bytes
    std::string linkPublicKey; ///< 32 raw bytes (SPEC §3.5)
    std::string ownerHash;
    std::string kdfJson;  ///< canonical JSON of the password parameters, empty without a password
    std::string metadata; ///< the raw envelope bytes
    std::string client;   ///< the creator's ClientAddress::clientBucket(), for the operator (admin show)
};

struct QuotaOutcome : Outcome {
    std::int64_t expiresAt = 0;  ///< unix seconds, from Redis' clock
    std::int64_t retryAfter = 0; ///< RateLimited, AllowanceSpent: seconds until the window ends
};
struct OffsetOutcome : Outcome {
    std::uint64_t offset = 0; ///< the stored (or new) offset
    std::uint64_t size = 0;
    std::string leaseHolder; ///< for UploadInProgress: the value of the lease that is in the way
};
struct ProofOutcome : Outcome {
    std::string linkPublicKey;
    std::string authPublicKey;
    bool passwordRequired = false;
};
struct AttemptOutcome : Outcome {
    std::uint64_t attempts = 0; ///< begin: failures + pending incl. this one; fail: failures after this one
    std::uint64_t maxAttempts = 0;
};
struct MetadataOutcome : Outcome {
    std::string metadata;
};
struct ReserveOutcome : Outcome {
    std::uint64_t size = 0;
    std::uint64_t downloadsLeft = 0;
    bool held = false;           ///< the ticket already held this reservation: nothing more reserved
    std::int64_t lapsesInMs = 0; ///< what the ticket has left
};
struct SizeOutcome : Outcome {
    std::uint64_t size = 0;
};
struct FinishOutcome : Outcome {
    std::uint64_t downloadsLeft = 0;
};
struct SweepOutcome : Outcome {
    std::int64_t at = 0; ///< for Later: when to look again (ms)
};
struct RateOutcome : Outcome {
    std::int64_t retryAfter = 0; ///< seconds
};
struct StatusOutcome : Outcome {
    std::string state; ///< "uploading" or "ready" (locked is derived from the attempts)
    std::uint64_t size = 0;
    std::uint64_t offset = 0;
    std::int64_t expiresAt = 0;
    std::uint64_t maxDownloads = 0;
    std::uint64_t reserved = 0;
    std::uint64_t finished = 0;
    std::uint64_t attempts = 0;
    std::uint64_t maxAttempts = 0;
    std::string kdfJson;
    [[nodiscard]] bool locked() const noexcept { return attempts >= maxAttempts; }
};

class ShareStore {
public:
    /// How long after a finish or delete begins the sweeper looks at the share (scheduleCleanup): far
    /// longer than the finish/delete takes (two Redis round trips of at most redis-timeout and an unlink).
    static constexpr std::int64_t kCleanupGraceMs = 15'000;
    /// How long the hourly create counts live: the hour they count and the one after, so that at any
    /// moment the last full hour can be read.
    static constexpr std::int64_t kCreateStatsSeconds = std::int64_t{2} * 3600;

    ShareStore(RedisConnection& redis, const Config& config) noexcept
        : m_redis(redis)
        , m_config(config) {}

    // Relay-wide
    /// The scripts' notion of now, in ms: Redis time, plus the test clock's offset when Config::testClock.
    /// Whatever C++ compares with the times the scripts keep reads it here.
    [[nodiscard]] std::int64_t nowMs();
    /// Admits a create in one round trip: Blocked (the operator blocked the client) or RateLimited (over
    /// creates-per-minute-per-ip, retryAfter set) as rateLimit("create", …) would answer; then reserves
    /// size (ciphertext) + footprint (the share's Redis bytes) against the storage quota, the footprint
    /// against the Redis budget (0 = none) and both against the client's hourly allowance. StorageFull,
    /// RedisFull, or AllowanceSpent (retryAfter set) when one of them has no room.
    [[nodiscard]] QuotaOutcome reserveQuota(std::string_view id, std::uint64_t size, std::uint64_t footprint,
                                            std::int64_t expiresIn, std::string_view clientBucket,
                                            std::uint64_t redisBudget);
    /// Releases the quota and drops the expiry entry; true when this call removed the entry.
    bool releaseQuota(std::string_view id);
    /// clientBucket: ClientAddress::clientBucket(), one IPv4 address or one IPv6 prefix.
    [[nodiscard]] RateOutcome rateLimit(std::string_view kind, std::string_view clientBucket,
                                        std::uint32_t limit);
    /// Registers a ticket for the sweeper before it exists, so a crash cannot leave one unwatched.
    void scheduleTicket(std::string_view id, std::string_view ticketHash);
    void unscheduleTicket(std::string_view id, std::string_view ticketHash);
    /// Before a step that may delete a share's keys (finish, delete): brings the share's `{ots}:expiry`
    /// entry forward to now + kCleanupGrace (never later than it was, never adding one). If the relay dies
    /// after the keys are gone but before the blob is, the sweeper finds the entry due within the grace
    /// and removes the blob; if the share lives on, the sweeper's expireCheck moves the entry back.
    void scheduleCleanup(std::string_view id);
    /// Whether the operator blocked this client bucket (one EXISTS); an empty bucket never is.

    // One share
    [[nodiscard]] Outcome create(std::string_view id, const NewShare& share, std::int64_t expiresAt);
    [[nodiscard]] OffsetOutcome appendBegin(std::string_view id, std::string_view ownerHash,
                                            std::uint64_t offset, std::uint64_t length,
                                            std::string_view leaseValue);
    [[nodiscard]] OffsetOutcome appendEnd(std::string_view id, std::string_view leaseValue,
                                          std::uint64_t offset, std::uint64_t received);
    [[nodiscard]] OffsetOutcome completeBegin(std::string_view id, std::string_view ownerHash,
                                              std::string_view leaseValue);
    [[nodiscard]] Outcome completeEnd(std::string_view id, std::string_view leaseValue);
    [[nodiscard]] Outcome challenge(std::string_view id, std::string_view nonceHex);
    /// Checks the share's state and that the nonce is live; returns the keys to verify with. Counts and
    /// consumes nothing. ticketHash: for a download, the hash of the ticket the client chose (empty for
    /// metadata); a ticket that already holds a reservation passes even when every download is taken.
    [[nodiscard]] ProofOutcome proofBegin(std::string_view id, std::string_view nonceHex,
                                          std::string_view ticketHash);
    /// A proof whose link signature failed: its nonce is spent all the same.
    void spendNonce(std::string_view id, std::string_view nonceHex);
    /// After a valid link signature: consumes the nonce and, when counted (a password share), reserves
    /// an attempt under attemptId (random, per request) before the password proof is checked.
    [[nodiscard]] AttemptOutcome attemptBegin(std::string_view id, std::string_view nonceHex,
                                              std::string_view attemptId, bool counted);
    /// A wrong proof: the attempt counts. attempts/maxAttempts are the totals after it.
    [[nodiscard]] AttemptOutcome attemptFail(std::string_view id, std::string_view attemptId);
    /// A valid proof for the metadata: refunds the attempt and returns the envelope.
    [[nodiscard]] MetadataOutcome attemptRefund(std::string_view id, std::string_view attemptId);
    /// A valid proof for a download: refunds the attempt and reserves a download under the ticket (or
    /// finds it already reserved under that ticket: held).
    [[nodiscard]] ReserveOutcome reserve(std::string_view id, std::string_view ticketHash,
                                         std::string_view attemptId);
    [[nodiscard]] SizeOutcome ticketCheck(std::string_view id, std::string_view ticketHash);
    [[nodiscard]] FinishOutcome finish(std::string_view id, std::string_view ticketHash);
    [[nodiscard]] Outcome remove(std::string_view id, std::string_view ownerHash);
    /// The operator's removal: keys gone, tombstone `removed`; Ok, NotFound or Gone. The caller runs
    /// scheduleCleanup() before and removeFilesAndReleaseQuota() after, as for the owner's delete.
    [[nodiscard]] Outcome takedown(std::string_view id);
    [[nodiscard]] Outcome unlock(std::string_view id, std::string_view ownerHash);
    /// Public info with ownerHash empty; the owner's status otherwise.
    [[nodiscard]] StatusOutcome status(std::string_view id, std::string_view ownerHash);

    // Sweeper
    [[nodiscard]] SweepOutcome expireCheck(std::string_view id);
    [[nodiscard]] SweepOutcome ticketLapse(std::string_view id, std::string_view ticketHash);
    /// Deletes the share's lease if its value starts with ownerPrefix but not with keepPrefix.
    bool reclaimLease(std::string_view id, std::string_view ownerPrefix, std::string_view keepPrefix);
    /// Deletes the share's lease if it still holds exactly value.
    bool releaseLease(std::string_view id, std::string_view value);

private:
    [[nodiscard]] ReplyPtr run(const Script& script, const std::vector<std::string>& keys,
                               const std::vector<std::string>& args);

    RedisConnection& m_redis;
    const Config& m_config;
};

} // namespace ots::relay
