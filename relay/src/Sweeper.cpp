#include "Sweeper.h"

#include "BlobStore.h"
#include "Config.h"
#include "Metrics.h"
#include "RedisConnection.h"
#include "ShareStore.h"
#include "ots/Base64Url.h"
#include "ots/KeySchedule.h"

#include <system_error>
#include <vector>

namespace ots::relay {

namespace {

// Work per pass is bounded so that a backlog (a relay that was down for a day) drains over several
// passes instead of holding Redis in one.
constexpr std::size_t kBatch = 256;
constexpr int kBatchesPerPass = 8;
constexpr int kScanCallsPerPass = 16;
constexpr std::string_view kScanCount = "1000";

std::vector<std::string> dueMembers(RedisConnection& redis, std::string_view key, std::int64_t nowMs) {
    const std::string max = std::to_string(nowMs);
    const std::string count = std::to_string(kBatch);
    const ReplyPtr reply = redis.command({"ZRANGEBYSCORE", key, "-inf", max, "LIMIT", "0", count});
    const ReplyView view(reply.get());
    std::vector<std::string> members;
    members.reserve(view.size());
    for (std::size_t i = 0; i < view.size(); ++i)
        members.emplace_back(view[i].string());
    return members;
}

void reschedule(RedisConnection& redis, std::string_view key, std::int64_t atMs, std::string_view member) {
    // XX: never brings back an entry that another request or relay removed meanwhile.
    const std::string score = std::to_string(atMs);
    const ReplyPtr reply = redis.command({"ZADD", key, "XX", score, member});
    (void)ReplyView(reply.get()).integer();
}

void removeMember(RedisConnection& redis, std::string_view key, std::string_view member) {
    const ReplyPtr reply = redis.command({"ZREM", key, member});
    (void)ReplyView(reply.get()).integer();
}

} // namespace

Sweeper::Sweeper(const Config& config, BlobStore& blobs, Metrics& metrics)
    : m_config(config)
    , m_blobs(blobs)
    , m_metrics(metrics) {}

std::uint64_t Sweeper::swept() const noexcept {
    std::lock_guard lock(m_mutex);
    return m_swept;
}

void Sweeper::cleanUp(RedisConnection& redis, const std::string& id) {
    // Files first, then the index entry: if this relay dies in between, the entry is still due and the
    // next pass (here or elsewhere) repeats the idempotent deletion.
    ShareStore store(redis, m_config);
    if (m_blobs.remove(id) != BlobStatus::Ok) {
        // An unlink failed: keep the entry, due soon, so a later pass tries again (a ticket lapse
        // removes its own member next, and the expiry entry may lie far ahead).
        store.scheduleCleanup(id);
        return;
    }
    if (store.releaseQuota(id)) {
        ++m_swept;
        m_metrics.sweptShares(1);
    }
}

void Sweeper::sweepExpiries(RedisConnection& redis, std::int64_t nowMs) {
    ShareStore store(redis, m_config);
    for (int batch = 0; batch < kBatchesPerPass; ++batch) {
        const std::vector<std::string> ids = dueMembers(redis, keys::kExpiry, nowMs);
        for (const std::string& id : ids) {
            if (!isShareIdText(id)) {
                removeMember(redis, keys::kExpiry, id);
                continue;
            }
            const SweepOutcome outcome = store.expireCheck(id);
            if (outcome.verdict == Verdict::Later)
                reschedule(redis, keys::kExpiry, outcome.at, id);
            else
                cleanUp(redis, id); // Destroyed now, or the share key was already gone
        }
        if (ids.size() < kBatch)
            return;
    }
}

void Sweeper::sweepTickets(RedisConnection& redis, std::int64_t nowMs) {
    ShareStore store(redis, m_config);
    for (int batch = 0; batch < kBatchesPerPass; ++batch) {
        const std::vector<std::string> members = dueMembers(redis, keys::kTicketExpiry, nowMs);
        for (const std::string& member : members) {
            const auto colon = member.find(':');
            const std::string id = member.substr(0, colon);
            if (colon == std::string::npos || !isShareIdText(id)) {
                removeMember(redis, keys::kTicketExpiry, member);
                continue;
            }
            const SweepOutcome outcome = store.ticketLapse(id, std::string_view(member).substr(colon + 1));
            if (outcome.verdict == Verdict::Later) {
                reschedule(redis, keys::kTicketExpiry, outcome.at, member);
                continue;
            }
            // Absent: the share's keys are gone, possibly by this very lapse in a pass that died before
            // its clean-up (the member is removed only after it): the files go now, idempotently.
            if (outcome.verdict == Verdict::Destroyed || outcome.verdict == Verdict::Absent)
                cleanUp(redis, id);
            removeMember(redis, keys::kTicketExpiry, member);
        }
        if (members.size() < kBatch)
            return;
    }
}

void Sweeper::countShares(RedisConnection& redis) {
    for (int call = 0; call < kScanCallsPerPass; ++call) {
        const ReplyPtr reply =
            redis.command({"SCAN", m_scanCursor, "MATCH", "ots:{*}:share", "COUNT", kScanCount});
        const ReplyView view(reply.get());
        const std::string next(view[0].string());
        const ReplyView found = view[1];
        std::vector<std::string> shareKeys;
        shareKeys.reserve(found.size());
        for (std::size_t i = 0; i < found.size(); ++i)
            shareKeys.emplace_back(found[i].string());
        countShareStates(redis, shareKeys, m_counts);
        m_scanCursor = next;
        if (next == "0") {
            m_metrics.setSharesByState(m_counts.uploading, m_counts.ready, m_counts.locked);
            m_counts = {};
            return;
        }
    }
}

void Sweeper::releaseAbandonedLeases(RedisConnection& redis) {
    LeaseRegistry& registry = LeaseRegistry::instance();
    auto leases = registry.takeAbandoned();
    ShareStore store(redis, m_config);
    for (std::size_t i = 0; i < leases.size(); ++i) {
        try {
            (void)store.releaseLease(leases[i].first, leases[i].second);
        } catch (const RedisError&) {
            // Keep this one and the rest for the next pass.
            leases.erase(leases.begin(), leases.begin() + static_cast<std::ptrdiff_t>(i));
            registry.keepAbandoned(std::move(leases));
            throw;
        }
    }
}

void Sweeper::sweepOnce(RedisConnection& redis) {
    std::lock_guard lock(m_mutex);
    try {
        releaseAbandonedLeases(redis);
        // The scripts' clock (the test clock's too), which the expiry and ticket scores are kept in.
        const std::int64_t nowMs = ShareStore(redis, m_config).nowMs();
        sweepExpiries(redis, nowMs);
        sweepTickets(redis, nowMs);
        countShares(redis);
    } catch (const RedisError&) {
        m_metrics.redisError();
    }
}

void Sweeper::startupScan(RedisConnection& redis) {
    std::lock_guard lock(m_mutex);
    try {
        for (const std::string& id : m_blobs.pendingIds()) {
            if (!isShareIdText(id))
                continue; // not ours: leave files we did not name alone
            const ReplyPtr exists = redis.command({"EXISTS", keys::share(id)});
            if (ReplyView(exists.get()).integer() == 0)
                (void)m_blobs.remove(id);
        }
        reclaimPreviousLeases(redis);
    } catch (const RedisError&) {
        m_metrics.redisError();
    }
}

void Sweeper::reclaimPreviousLeases(RedisConnection& redis) {
    // Every lease key, not only those of shares with a partial file: a run killed between a begin
    // script and the partial file's creation, or between complete's rename and its end, leaves a lease
    // and no partial file. Leases exist only while appends and completes run, so there are few; the
    // walk over the keyspace happens once per start. A lease of this relay's previous runs (same host,
    // port and data folder: the port is ours now, so that run is over) can only belong to a request
    // that died with it; this run's own leases are left alone (the scan may run after serving began).
    ShareStore store(redis, m_config);
    const std::string previous = leaseOwnerPrefix(m_config);
    const std::string current = LeaseRegistry::instance().ownPrefix(m_config);
    constexpr std::string_view head = "ots:{";
    constexpr std::string_view tail = "}:lease";
    std::string cursor = "0";
    do {
        const ReplyPtr reply = redis.command({"SCAN", cursor, "MATCH", "ots:{*}:lease", "COUNT", kScanCount});
        const ReplyView view(reply.get());
        cursor = std::string(view[0].string());
        const ReplyView found = view[1];
        for (std::size_t i = 0; i < found.size(); ++i) {
            const std::string_view key = found[i].string();
            if (key.size() <= head.size() + tail.size())
                continue;
            const std::string id(key.substr(head.size(), key.size() - head.size() - tail.size()));
            if (isShareIdText(id))
                (void)store.reclaimLease(id, previous, current);
        }
    } while (cursor != "0");
}

} // namespace ots::relay
