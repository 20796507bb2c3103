#pragma once

// Process-wide counters and gauges, rendered in the Prometheus text format at /metrics. Lock-free
// on the hot paths (atomics); the per-route table is fixed-size, indexed by Endpoint.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace ots::relay {

enum class Endpoint;

class Metrics {
public:
    // HTTP layer
    void requestFinished(Endpoint endpoint, unsigned status) noexcept;
    void bytesIn(std::uint64_t n) noexcept { m_bytesIn.fetch_add(n, std::memory_order_relaxed); }
    void bytesOut(std::uint64_t n) noexcept { m_bytesOut.fetch_add(n, std::memory_order_relaxed); }
    void connectionOpened() noexcept { m_activeConnections.fetch_add(1, std::memory_order_relaxed); }
    void connectionClosed() noexcept { m_activeConnections.fetch_sub(1, std::memory_order_relaxed); }
    /// A connection closed at once: its client had max-connections-per-client open already.
    void connectionRefused() noexcept { m_refusedConnections.fetch_add(1, std::memory_order_relaxed); }

    // Share logic
    void proofVerified(bool valid) noexcept; ///< a signature was checked (valid or not)
    void linkProofRejected() noexcept;
    void slowUploadCut() noexcept;  ///< an upload body below min-upload-rate was cut ///< a proof without a
                                    ///< valid link signature (counted nowhere else)
    void attemptRefused() noexcept; ///< a proof was refused before verification (locked / no attempt left)
    void shareLocked() noexcept;
    void redisError() noexcept;
    /// Set by the sweeper from a periodic count; state is "uploading", "ready" or "locked".
    void setSharesByState(std::uint64_t uploading, std::uint64_t ready, std::uint64_t locked) noexcept;
    void sweptShares(std::uint64_t n) noexcept;

    [[nodiscard]] std::uint64_t proofsVerified() const noexcept;
    [[nodiscard]] std::string render() const;

private:
    static constexpr std::size_t kEndpoints = 32;
    static constexpr std::size_t kStatusSlots = 600;
    // requests[endpoint][status]; only the statuses used are rendered
    std::array<std::array<std::atomic<std::uint64_t>, kStatusSlots>, kEndpoints> m_requests{};
    std::atomic<std::uint64_t> m_bytesIn{0};
    std::atomic<std::uint64_t> m_bytesOut{0};
    std::atomic<std::int64_t> m_activeConnections{0};
    std::atomic<std::uint64_t> m_refusedConnections{0};
    std::atomic<std::uint64_t> m_proofsValid{0};
    std::atomic<std::uint64_t> m_proofsInvalid{0};
    std::atomic<std::uint64_t> m_attemptsRefused{0};
    std::atomic<std::uint64_t> m_linkProofsRejected{0};
    std::atomic<std::uint64_t> m_slowUploadsCut{0};
    std::atomic<std::uint64_t> m_sharesLocked{0};
    std::atomic<std::uint64_t> m_redisErrors{0};
    std::atomic<std::uint64_t> m_sharesUploading{0};
    std::atomic<std::uint64_t> m_sharesReady{0};
    std::atomic<std::uint64_t> m_sharesLockedNow{0};
    std::atomic<std::uint64_t> m_swept{0};
};

} // namespace ots::relay
