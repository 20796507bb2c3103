#include "ShareStore.h"

#include "BlobStore.h"
#include "Scripts.h"
#include "ots/Base64Url.h"
#include "ots/KeySchedule.h"

#include <sodium.h>

#include <array>
#include <chrono>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace ots::relay {

bool isShareIdText(std::string_view text) noexcept {
    ShareId id{};
    return text.size() == format::kShareIdChars && base64url::decodeInto(text, id);
}

namespace keys {
std::string share(std::string_view id) {
    return "ots:{" + std::string(id) + "}:share";
}
std::string gone(std::string_view id) {
    return "ots:{" + std::string(id) + "}:gone";
}
std::string lease(std::string_view id) {
    return "ots:{" + std::string(id) + "}:lease";
}
std::string nonce(std::string_view id, std::string_view nonceHex) {
    return "ots:{" + std::string(id) + "}:nonce:" + std::string(nonceHex);
}
std::string ticket(std::string_view id, std::string_view ticketHash) {
    return "ots:{" + std::string(id) + "}:ticket:" + std::string(ticketHash);
}
std::string tickets(std::string_view id) {
    return "ots:{" + std::string(id) + "}:tickets";
}
std::string pending(std::string_view id) {
    return "ots:{" + std::string(id) + "}:pending";
}
std::string clientQuota(std::string_view clientBucket) {
    return std::string(kClientQuotaPrefix) + std::string(clientBucket);
}
std::string rateLimit(std::string_view kind, std::string_view clientBucket) {
    return "{ots}:rl:" + std::string(kind) + ":" + std::string(clientBucket);
}
std::string block(std::string_view clientBucket) {
    return std::string(kBlockPrefix) + std::string(clientBucket);
}
} // namespace keys

std::string toHex(std::span<const std::uint8_t> bytes) {
    std::string out(bytes.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
    out.pop_back();
    return out;
}

std::string tokenHash(std::span<const std::uint8_t> token) {
    std::array<std::uint8_t, crypto_generichash_BYTES> hash{};
    crypto_generichash(hash.data(), hash.size(), token.data(), token.size(), nullptr, 0);
    return toHex(hash);
}

void countShareStates(RedisConnection& redis, const std::vector<std::string>& shareKeys,
                      ShareCounts& counts) {
    std::vector<std::vector<std::string>> commands;
    commands.reserve(shareKeys.size());
    for (const std::string& key : shareKeys)
        commands.push_back({"HMGET", key, "state", "attempts", "maxAttempts"});
    for (const ReplyPtr& fields : redis.pipeline(commands)) {
        const ReplyView share(fields.get());
        if (share[0].isNil() || share[1].isNil() || share[2].isNil())
            continue; // deleted between SCAN and HMGET
        if (share[0].string() == "uploading")
            ++counts.uploading;
        else if (share[1].number() >= share[2].number())
            ++counts.locked;
        else
            ++counts.ready;
    }
}

bool removeFilesAndReleaseQuota(BlobStore& blobs, ShareStore& store, const std::string& id) {
    if (blobs.remove(id) != BlobStatus::Ok)
        return false;
    store.releaseQuota(id);
    return true;
}

std::string leaseOwnerPrefix(const Config& config) {
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) != 0)
        host[0] = '\0';
    return std::string(host.data()) + ":" + std::to_string(config.listenPort) + ":" +
           config.dataDirectory.string() + "/";
}

namespace {

std::string number(std::uint64_t value) {
    return std::to_string(value);
}
std::string number(std::int64_t value) {
    return std::to_string(value);
}

std::int64_t milliseconds(std::chrono::seconds seconds) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(seconds).count();
}

// An append's lease outlives any append (SPEC §10.11); a restarted relay releases its own at once.
/// The window of the per-minute rate limits.
constexpr std::int64_t kRateWindowSeconds = 60;
constexpr std::int64_t kUploadLeaseMs = std::int64_t{3600} * 1000;
// complete only syncs and renames a file; a crash in between must not block a retry for an hour.
constexpr std::int64_t kCompleteLeaseMs = std::int64_t{60} * 1000;
// A signature check takes well under a millisecond; an attempt pending this long died with its relay.
constexpr std::int64_t kStaleAttemptMs = std::int64_t{10} * 1000;

Verdict verdictOf(std::string_view name) {
    static constexpr std::pair<std::string_view, Verdict> table[] = {
        {"ok", Verdict::Ok},
        {"not_found", Verdict::NotFound},
        {"gone", Verdict::Gone},
        {"unauthorized", Verdict::Unauthorized},
        {"offset_mismatch", Verdict::OffsetMismatch},
        {"upload_in_progress", Verdict::UploadInProgress},
        {"too_large", Verdict::TooLarge},
        {"lease_lost", Verdict::LeaseLost},
        {"already", Verdict::AlreadyComplete},
        {"incomplete", Verdict::Incomplete},
        {"not_ready", Verdict::NotReady},
        {"locked", Verdict::Locked},
        {"busy", Verdict::Busy},
        {"challenge_invalid", Verdict::ChallengeInvalid},
        {"no_downloads_left", Verdict::NoDownloadsLeft},
        {"exists", Verdict::Exists},
        {"expired", Verdict::Gone},
        {"destroyed", Verdict::Destroyed},
        {"absent", Verdict::Absent},
        {"none", Verdict::Nothing},
        {"later", Verdict::Later},
        {"full", Verdict::StorageFull},
        {"redis_full", Verdict::RedisFull},
        {"limited", Verdict::RateLimited},
        {"blocked", Verdict::Blocked},
        {"allowance_spent", Verdict::AllowanceSpent},
    };
    for (const auto& [text, verdict] : table)
        if (text == name)
            return verdict;
    throw RedisError("unexpected script outcome");
}

/// The outcome name and, for Gone, the reason.
template <typename T>
T outcome(const ReplyView& view) {
    T result;
    const std::string_view name = view[0].string();
    result.verdict = verdictOf(name);
    if (name == "expired")
        result.goneReason = "expired";
    else if (result.verdict == Verdict::Gone)
        result.goneReason = std::string(view[1].string());
    return result;
}

/// A transition the answer acknowledges must survive a failover (SPEC §10.13 Durability): once it
/// happened, WAIT for redis-wait-replicas replicas, or throw RedisError (503) rather than claim it.
template <typename Result>
Result durable(RedisConnection& redis, Result result) {
    if (result.ok() || result.verdict == Verdict::Destroyed)
        redis.waitForReplicas();
    return result;
}

} // namespace

ReplyPtr ShareStore::run(const Script& script, const std::vector<std::string>& keys,
                         const std::vector<std::string>& args) {
    return runScript(m_redis, script, keys, args, m_config.testClock);
}

std::int64_t ShareStore::nowMs() {
    const ReplyPtr reply = run(scripts::now, {}, {});
    return ReplyView(reply.get()).integer();
}

QuotaOutcome ShareStore::reserveQuota(std::string_view id, std::uint64_t size, std::uint64_t footprint,
                                      std::int64_t expiresIn, std::string_view clientBucket,
                                      std::uint64_t redisBudget) {
    const ReplyPtr reply =
        run(scripts::quotaReserve,
            {std::string(keys::kUsage), std::string(keys::kSizes), std::string(keys::kExpiry),
             keys::clientQuota(clientBucket), std::string(keys::kRedisUsage), std::string(keys::kRedisSizes),
             keys::rateLimit("create", clientBucket), keys::block(clientBucket)},
            {std::string(id), number(size + footprint), number(m_config.storageQuota), number(expiresIn),
             number(milliseconds(m_config.uploadIdleTimeout)), number(footprint), number(redisBudget),
             number(clientBytesPerHourLimit(m_config)), number(std::uint64_t{m_config.clientSharesPerHour}),
             number(kCreateStatsSeconds), number(std::uint64_t{m_config.createsPerMinutePerIp}),
             number(kRateWindowSeconds)});
    ReplyView view(reply.get());
    auto result = outcome<QuotaOutcome>(view);
    if (result.ok())
        result.expiresAt = view[1].number();
    else if (result.verdict == Verdict::RateLimited || result.verdict == Verdict::AllowanceSpent)
        result.retryAfter = view[1].number();
    return result;
}

bool ShareStore::releaseQuota(std::string_view id) {
    const ReplyPtr reply =
        run(scripts::quotaRelease,
            {std::string(keys::kUsage), std::string(keys::kSizes), std::string(keys::kExpiry),
             std::string(keys::kRedisUsage), std::string(keys::kRedisSizes)},
            {std::string(id)});
    return ReplyView(reply.get()).integer() == 1;
}

RateOutcome ShareStore::rateLimit(std::string_view kind, std::string_view clientBucket, std::uint32_t limit) {
    const ReplyPtr reply =
        run(scripts::rateLimit, {keys::rateLimit(kind, clientBucket), keys::block(clientBucket)},
            {number(std::uint64_t{limit}), number(kRateWindowSeconds)});
    ReplyView view(reply.get());
    auto result = outcome<RateOutcome>(view);
    if (result.verdict == Verdict::RateLimited)
        result.retryAfter = view[1].number();
    return result;
}

void ShareStore::scheduleTicket(std::string_view id, std::string_view ticketHash) {
    const ReplyPtr reply = run(scripts::schedule, {std::string(keys::kTicketExpiry)},
                               {std::string(id) + ":" + std::string(ticketHash),
                                number(milliseconds(m_config.ticketLifetime)), "absent"});
    (void)ReplyView(reply.get()).integer();
}

void ShareStore::scheduleCleanup(std::string_view id) {
    const ReplyPtr reply = run(scripts::schedule, {std::string(keys::kExpiry)},
                               {std::string(id), number(kCleanupGraceMs), "sooner"});
    (void)ReplyView(reply.get()).integer();
}

void ShareStore::unscheduleTicket(std::string_view id, std::string_view ticketHash) {
    const std::string member = std::string(id) + ":" + std::string(ticketHash);
    const ReplyPtr reply = m_redis.command({"ZREM", keys::kTicketExpiry, member});
    (void)ReplyView(reply.get()).integer();
}

Outcome ShareStore::create(std::string_view id, const NewShare& share, std::int64_t expiresAt) {
    const ReplyPtr reply =
        run(scripts::create, {keys::share(id), keys::gone(id)},
            {number(share.size), number(expiresAt), number(std::uint64_t{share.maxDownloads}),
             number(std::uint64_t{share.maxAttempts}), share.authPublicKey, share.ownerHash, share.kdfJson,
             share.metadata, number(static_cast<std::int64_t>(m_config.ticketLifetime.count())),
             share.linkPublicKey, share.client});
    ReplyView view(reply.get());
    return durable(m_redis, outcome<Outcome>(view));
}

OffsetOutcome ShareStore::appendBegin(std::string_view id, std::string_view ownerHash, std::uint64_t offset,
                                      std::uint64_t length, std::string_view leaseValue) {
    const ReplyPtr reply = run(scripts::appendBegin, {keys::share(id), keys::gone(id), keys::lease(id)},
                               {std::string(ownerHash), number(offset), number(length),
                                std::string(leaseValue), number(kUploadLeaseMs)});
    ReplyView view(reply.get());
    auto result = outcome<OffsetOutcome>(view);
    if (result.ok() || result.verdict == Verdict::TooLarge)
        result.size = view[1].unsignedNumber();
    else if (result.verdict == Verdict::OffsetMismatch)
        result.offset = view[1].unsignedNumber();
    else if (result.verdict == Verdict::UploadInProgress)
        result.leaseHolder = std::string(view[1].string());
    return result;
}

OffsetOutcome ShareStore::appendEnd(std::string_view id, std::string_view leaseValue, std::uint64_t offset,
                                    std::uint64_t received) {
    const ReplyPtr reply = run(scripts::appendEnd, {keys::share(id), keys::gone(id), keys::lease(id)},
                               {std::string(leaseValue), number(offset), number(received)});
    ReplyView view(reply.get());
    auto result = outcome<OffsetOutcome>(view);
    if (result.ok())
        result.offset = view[1].unsignedNumber();
    return durable(m_redis, std::move(result));
}

OffsetOutcome ShareStore::completeBegin(std::string_view id, std::string_view ownerHash,
                                        std::string_view leaseValue) {
    const ReplyPtr reply = run(scripts::completeBegin, {keys::share(id), keys::gone(id), keys::lease(id)},
                               {std::string(ownerHash), std::string(leaseValue), number(kCompleteLeaseMs)});
    ReplyView view(reply.get());
    auto result = outcome<OffsetOutcome>(view);
    if (result.ok()) {
        result.size = view[1].unsignedNumber();
        result.offset = result.size;
    } else if (result.verdict == Verdict::Incomplete) {
        result.offset = view[1].unsignedNumber();
        result.size = view[2].unsignedNumber();
    } else if (result.verdict == Verdict::UploadInProgress) {
        result.leaseHolder = std::string(view[1].string());
    }
    return result;
}

Outcome ShareStore::completeEnd(std::string_view id, std::string_view leaseValue) {
    const ReplyPtr reply = run(scripts::completeEnd, {keys::share(id), keys::gone(id), keys::lease(id)},
                               {std::string(leaseValue)});
    ReplyView view(reply.get());
    return durable(m_redis, outcome<Outcome>(view));
}

Outcome ShareStore::challenge(std::string_view id, std::string_view nonceHex) {
    const ReplyPtr reply =
        run(scripts::challenge, {keys::share(id), keys::gone(id), keys::nonce(id, nonceHex)},
            {number(milliseconds(m_config.challengeLifetime))});
    ReplyView view(reply.get());
    return outcome<Outcome>(view);
}

ProofOutcome ShareStore::proofBegin(std::string_view id, std::string_view nonceHex,
                                    std::string_view ticketHash) {
    const bool forDownload = !ticketHash.empty();
    std::vector<std::string> keyList{keys::share(id), keys::gone(id), keys::nonce(id, nonceHex)};
    if (forDownload)
        keyList.push_back(keys::ticket(id, ticketHash));
    const ReplyPtr reply = run(scripts::proofBegin, keyList, {forDownload ? "1" : "0"});
    ReplyView view(reply.get());
    auto result = outcome<ProofOutcome>(view);
    if (result.ok()) {
        result.linkPublicKey = std::string(view[1].string());
        result.authPublicKey = std::string(view[2].string());
        result.passwordRequired = view[3].string() == "1";
    }
    return result;
}

void ShareStore::spendNonce(std::string_view id, std::string_view nonceHex) {
    const ReplyPtr reply = m_redis.command({"DEL", keys::nonce(id, nonceHex)});
    (void)ReplyView(reply.get()).integer();
}

AttemptOutcome ShareStore::attemptBegin(std::string_view id, std::string_view nonceHex,
                                        std::string_view attemptId, bool counted) {
    const ReplyPtr reply =
        run(scripts::attemptBegin,
            {keys::share(id), keys::gone(id), keys::nonce(id, nonceHex), keys::pending(id)},
            {std::string(attemptId), number(kStaleAttemptMs), counted ? "1" : "0"});
    ReplyView view(reply.get());
    auto result = outcome<AttemptOutcome>(view);
    if (result.ok()) {
        result.attempts = view[1].unsignedNumber();
        result.maxAttempts = view[2].unsignedNumber();
    }
    return result;
}

AttemptOutcome ShareStore::attemptFail(std::string_view id, std::string_view attemptId) {
    const ReplyPtr reply = run(scripts::attemptFail, {keys::share(id), keys::gone(id), keys::pending(id)},
                               {std::string(attemptId)});
    ReplyView view(reply.get());
    auto result = outcome<AttemptOutcome>(view);
    if (result.ok()) {
        result.attempts = view[1].unsignedNumber();
        result.maxAttempts = view[2].unsignedNumber();
    }
    return durable(m_redis, std::move(result));
}

MetadataOutcome ShareStore::attemptRefund(std::string_view id, std::string_view attemptId) {
    const ReplyPtr reply = run(scripts::attemptRefund, {keys::share(id), keys::gone(id), keys::pending(id)},
                               {std::string(attemptId)});
    ReplyView view(reply.get());
    auto result = outcome<MetadataOutcome>(view);
    if (result.ok())
        result.metadata = std::string(view[1].string());
    return result;
}

ReserveOutcome ShareStore::reserve(std::string_view id, std::string_view ticketHash,
                                   std::string_view attemptId) {
    const ReplyPtr reply = run(
        scripts::reserve,
        {keys::share(id), keys::gone(id), keys::ticket(id, ticketHash), keys::tickets(id), keys::pending(id)},
        {std::string(ticketHash), number(milliseconds(m_config.ticketLifetime)), std::string(attemptId)});
    ReplyView view(reply.get());
    const bool held = view[0].string() == "held";
    auto result = held ? ReserveOutcome{} : outcome<ReserveOutcome>(view);
    if (result.ok()) {
        result.held = held;
        result.size = view[1].unsignedNumber();
        result.downloadsLeft = view[2].unsignedNumber();
        result.lapsesInMs = view[3].number();
    }
    return durable(m_redis, std::move(result));
}

SizeOutcome ShareStore::ticketCheck(std::string_view id, std::string_view ticketHash) {
    const ReplyPtr reply =
        run(scripts::ticketCheck, {keys::share(id), keys::gone(id), keys::ticket(id, ticketHash)}, {});
    ReplyView view(reply.get());
    auto result = outcome<SizeOutcome>(view);
    if (result.ok())
        result.size = view[1].unsignedNumber();
    return result;
}

FinishOutcome ShareStore::finish(std::string_view id, std::string_view ticketHash) {
    const ReplyPtr reply = run(
        scripts::finish, {keys::share(id), keys::gone(id), keys::ticket(id, ticketHash), keys::tickets(id)},
        {std::string(ticketHash), number(static_cast<std::int64_t>(m_config.tombstoneLifetime.count()))});
    ReplyView view(reply.get());
    auto result = outcome<FinishOutcome>(view);
    if (result.ok() || result.verdict == Verdict::Destroyed)
        result.downloadsLeft = view[1].unsignedNumber();
    return durable(m_redis, std::move(result));
}

Outcome ShareStore::remove(std::string_view id, std::string_view ownerHash) {
    const ReplyPtr reply =
        run(scripts::remove, {keys::share(id), keys::gone(id)},
            {std::string(ownerHash), number(static_cast<std::int64_t>(m_config.tombstoneLifetime.count()))});
    ReplyView view(reply.get());
    return durable(m_redis, outcome<Outcome>(view));
}

Outcome ShareStore::takedown(std::string_view id) {
    const ReplyPtr reply = run(scripts::takedown, {keys::share(id), keys::gone(id)},
                               {number(static_cast<std::int64_t>(m_config.tombstoneLifetime.count()))});
    ReplyView view(reply.get());
    return durable(m_redis, outcome<Outcome>(view));
}

Outcome ShareStore::unlock(std::string_view id, std::string_view ownerHash) {
    const ReplyPtr reply = run(scripts::unlock, {keys::share(id), keys::gone(id)}, {std::string(ownerHash)});
    ReplyView view(reply.get());
    return outcome<Outcome>(view);
}

StatusOutcome ShareStore::status(std::string_view id, std::string_view ownerHash) {
    const ReplyPtr reply = run(scripts::status, {keys::share(id), keys::gone(id)}, {std::string(ownerHash)});
    ReplyView view(reply.get());
    auto result = outcome<StatusOutcome>(view);
    if (result.ok()) {
        result.state = std::string(view[1].string());
        result.size = view[2].unsignedNumber();
        result.offset = view[3].unsignedNumber();
        result.expiresAt = view[4].number();
        result.maxDownloads = view[5].unsignedNumber();
        result.reserved = view[6].unsignedNumber();
        result.finished = view[7].unsignedNumber();
        result.attempts = view[8].unsignedNumber();
        result.maxAttempts = view[9].unsignedNumber();
        result.kdfJson = std::string(view[10].string());
    }
    return result;
}

SweepOutcome ShareStore::expireCheck(std::string_view id) {
    const ReplyPtr reply =
        run(scripts::expireCheck, {keys::share(id), keys::gone(id), keys::tickets(id), keys::lease(id)},
            {number(static_cast<std::int64_t>(m_config.tombstoneLifetime.count())),
             number(milliseconds(m_config.uploadIdleTimeout))});
    ReplyView view(reply.get());
    auto result = outcome<SweepOutcome>(view);
    if (result.verdict == Verdict::Later)
        result.at = view[1].number();
    return result;
}

SweepOutcome ShareStore::ticketLapse(std::string_view id, std::string_view ticketHash) {
    const ReplyPtr reply =
        run(scripts::ticketLapse,
            {keys::share(id), keys::gone(id), keys::ticket(id, ticketHash), keys::tickets(id)},
            {std::string(ticketHash), number(static_cast<std::int64_t>(m_config.tombstoneLifetime.count()))});
    ReplyView view(reply.get());
    auto result = outcome<SweepOutcome>(view);
    if (result.verdict == Verdict::Later)
        result.at = view[1].number();
    return result;
}

bool ShareStore::reclaimLease(std::string_view id, std::string_view ownerPrefix,
                              std::string_view keepPrefix) {
    const ReplyPtr reply =
        run(scripts::leaseReclaim, {keys::lease(id)}, {std::string(ownerPrefix), std::string(keepPrefix)});
    return ReplyView(reply.get()).integer() == 1;
}

bool ShareStore::releaseLease(std::string_view id, std::string_view value) {
    // The whole value as the prefix: every value of one incarnation has the same length.
    const ReplyPtr reply = run(scripts::leaseReclaim, {keys::lease(id)}, {std::string(value), std::string()});
    return ReplyView(reply.get()).integer() == 1;
}

} // namespace ots::relay
