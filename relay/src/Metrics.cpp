#include "Metrics.h"

#include "Api.h"

#include <sstream>

namespace ots::relay {

void Metrics::requestFinished(Endpoint endpoint, unsigned status) noexcept {
    const auto index = static_cast<std::size_t>(endpoint);
    if (index >= kEndpoints || status >= kStatusSlots)
        return;
    m_requests[index][status].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::proofVerified(bool valid) noexcept {
    (valid ? m_proofsValid : m_proofsInvalid).fetch_add(1, std::memory_order_relaxed);
}

void Metrics::linkProofRejected() noexcept {
    m_linkProofsRejected.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::slowUploadCut() noexcept {
    m_slowUploadsCut.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::attemptRefused() noexcept {
    m_attemptsRefused.fetch_add(1, std::memory_order_relaxed);
}
void Metrics::shareLocked() noexcept {
    m_sharesLocked.fetch_add(1, std::memory_order_relaxed);
}
void Metrics::redisError() noexcept {
    m_redisErrors.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::setSharesByState(std::uint64_t uploading, std::uint64_t ready, std::uint64_t locked) noexcept {
    m_sharesUploading.store(uploading, std::memory_order_relaxed);
    m_sharesReady.store(ready, std::memory_order_relaxed);
    m_sharesLockedNow.store(locked, std::memory_order_relaxed);
}

void Metrics::sweptShares(std::uint64_t n) noexcept {
    m_swept.fetch_add(n, std::memory_order_relaxed);
}

std::uint64_t Metrics::proofsVerified() const noexcept {
    return m_proofsValid.load(std::memory_order_relaxed) + m_proofsInvalid.load(std::memory_order_relaxed);
}

std::string Metrics::render() const {
    std::ostringstream out;
    const auto family = [&out](std::string_view name, std::string_view type, std::string_view help) {
        out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
    };
    const auto load = [](const auto& atomic) { return atomic.load(std::memory_order_relaxed); };

    family("ots_http_requests_total", "counter", "HTTP requests by route and status.");
    for (std::size_t e = 0; e < kEndpoints; ++e) {
        Route route;
        route.kind = RouteKind::Json;
        route.endpoint = static_cast<Endpoint>(e);
        const char* label = route.label();
        for (std::size_t status = 0; status < kStatusSlots; ++status) {
            const std::uint64_t count = load(m_requests[e][status]);
            if (count != 0)
                out << "ots_http_requests_total{route=\"" << label << "\",status=\"" << status << "\"} "
                    << count << '\n';
        }
        if (route.endpoint == Endpoint::None)
            break;
    }
    family("ots_http_bytes_received_total", "counter", "Request body bytes received.");
    out << "ots_http_bytes_received_total " << load(m_bytesIn) << '\n';
    family("ots_http_bytes_sent_total", "counter", "Response body bytes sent.");
    out << "ots_http_bytes_sent_total " << load(m_bytesOut) << '\n';
    family("ots_http_connections_active", "gauge", "Open client connections.");
    out << "ots_http_connections_active " << load(m_activeConnections) << '\n';
    family("ots_http_connections_refused_total", "counter",
           "Connections closed at once because their client had max-connections-per-client open.");
    out << "ots_http_connections_refused_total " << load(m_refusedConnections) << '\n';
    family("ots_shares", "gauge", "Shares in Redis by state (relay-wide, counted by the sweeper).");
    out << "ots_shares{state=\"uploading\"} " << load(m_sharesUploading) << '\n';
    out << "ots_shares{state=\"ready\"} " << load(m_sharesReady) << '\n';
    out << "ots_shares{state=\"locked\"} " << load(m_sharesLockedNow) << '\n';
    family("ots_proof_verifications_total", "counter", "Download proof signatures checked, by result.");
    out << "ots_proof_verifications_total{result=\"valid\"} " << load(m_proofsValid) << '\n';
    out << "ots_proof_verifications_total{result=\"invalid\"} " << load(m_proofsInvalid) << '\n';
    family("ots_link_proofs_rejected_total", "counter",
           "Proofs refused because the link signature does not verify (strangers, damaged links); never "
           "counted as attempts.");
    out << "ots_link_proofs_rejected_total " << load(m_linkProofsRejected) << '\n';
    family("ots_uploads_cut_slow_total", "counter",
           "Upload bodies cut because they brought fewer than min-upload-rate bytes in a window.");
    out << "ots_uploads_cut_slow_total " << load(m_slowUploadsCut) << '\n';
    family("ots_attempts_refused_total", "counter",
           "Proofs refused before verification because the share is locked.");
    out << "ots_attempts_refused_total " << load(m_attemptsRefused) << '\n';
    family("ots_shares_locked_total", "counter", "Shares this relay locked after too many wrong proofs.");
    out << "ots_shares_locked_total " << load(m_sharesLocked) << '\n';
    family("ots_redis_errors_total", "counter", "Requests answered 503 because Redis failed.");
    out << "ots_redis_errors_total " << load(m_redisErrors) << '\n';
    family("ots_shares_swept_total", "counter", "Shares whose blob this relay's sweeper deleted.");
    out << "ots_shares_swept_total " << load(m_swept) << '\n';
    return out.str();
}

} // namespace ots::relay
