#pragma once

// Deletes what has expired or been used up, and counts shares for /metrics. The server calls
// sweepOnce() every Config::sweepInterval and startupScan() once before it serves. Several relays
// may sweep one Redis and one data folder at the same time: every decision is a Lua script, file
// deletions are idempotent, and ZREM on the expiry index decides which relay releases the quota.

#include "ShareStore.h"

#include <cstdint>
#include <mutex>
#include <string>

namespace ots::relay {

struct Config;
class BlobStore;
class Metrics;
class RedisConnection;

class Sweeper {
public:
    Sweeper(const Config& config, BlobStore& blobs, Metrics& metrics);

    /// One pass: abandoned leases, due expiry entries, due ticket lapses, and a slice of the share count.
    /// Redis errors end the pass early (counted in Metrics); the next pass picks up where this one stopped.
    void sweepOnce(RedisConnection& redis);
    /// Removes partial files whose share is gone and releases the upload leases this relay's previous
    /// runs left behind (every lease key, found with SCAN), so an upload cut by a crash can resume at
    /// once. Never deletes a blob.
    void startupScan(RedisConnection& redis);

    /// Shares whose keys this relay's sweeper deleted (also in Metrics).
    [[nodiscard]] std::uint64_t swept() const noexcept;

private:
    void sweepExpiries(RedisConnection& redis, std::int64_t nowMs);
    void sweepTickets(RedisConnection& redis, std::int64_t nowMs);
    void countShares(RedisConnection& redis);
    void cleanUp(RedisConnection& redis, const std::string& id);
    /// Deletes the leases whose end failed in Redis (LeaseRegistry::abandoned), so that every relay can
    /// resume those uploads without waiting for the lease's TTL.
    void releaseAbandonedLeases(RedisConnection& redis);
    void reclaimPreviousLeases(RedisConnection& redis);

    const Config& m_config;
    BlobStore& m_blobs;
    Metrics& m_metrics;

    mutable std::mutex m_mutex; // one pass at a time
    std::uint64_t m_swept = 0;
    // The share count walks the keyspace a slice per pass and publishes when a walk completes.
    std::string m_scanCursor = "0";
    ShareCounts m_counts;
};

} // namespace ots::relay
