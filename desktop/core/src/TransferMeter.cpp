#include "TransferMeter.h"

#include <cmath>

namespace ots::client {

namespace {
constexpr std::int64_t kWindowMs = 4000;
constexpr std::int64_t kSignalIntervalMs = 100;
constexpr std::int64_t kSampleIntervalMs = 50;
} // namespace

TransferMeter::TransferMeter(std::uint64_t total)
    : m_total(total) {
    m_clock.start();
    m_samples.push_back({0, 0});
}

bool TransferMeter::update(std::uint64_t done) {
    const std::int64_t now = m_clock.elapsed();
    // A resume may restart below the last reading (in-flight bytes that never arrived): the window then
    // starts again, so the speed is never negative.
    if (done < m_done)
        m_samples.clear();
    m_done = done;
    if (m_samples.empty() || now - m_samples.back().ms >= kSampleIntervalMs)
        m_samples.push_back({now, done});
    while (m_samples.size() > 2 && now - m_samples.front().ms > kWindowMs)
        m_samples.pop_front();

    if (done >= m_total) {
        if (m_completeSignalled)
            return false;
        m_completeSignalled = true;
        m_lastSignalMs = now;
        return true;
    }
    if (m_lastSignalMs >= 0 && now - m_lastSignalMs < kSignalIntervalMs)
        return false;
    m_lastSignalMs = now;
    return true;
}

TransferMeter::Reading TransferMeter::reading() const {
    Reading reading;
    reading.done = m_done;
    reading.total = m_total;
    const std::int64_t now = m_clock.elapsed();
    if (!m_samples.empty()) {
        const Sample& oldest = m_samples.front();
        const std::int64_t spanMs = now - oldest.ms;
        if (spanMs >= 200 && m_done >= oldest.done)
            reading.bytesPerSecond =
                static_cast<double>(m_done - oldest.done) * 1000.0 / static_cast<double>(spanMs);
    }
    if (m_done >= m_total)
        reading.etaSeconds = 0;
    else if (reading.bytesPerSecond > 0)
        reading.etaSeconds = static_cast<std::int64_t>(
            std::ceil(static_cast<double>(m_total - m_done) / reading.bytesPerSecond));
    return reading;
}

} // namespace ots::client
