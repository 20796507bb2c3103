#pragma once

// Progress bookkeeping for a transfer: decides when a progress signal is due (at most ten a second),
// and computes the speed over a sliding window of a few seconds and the time left from it.

#include <QElapsedTimer>

#include <cstdint>
#include <deque>

namespace ots::client {

class TransferMeter {
public:
    struct Reading {
        std::uint64_t done = 0;
        std::uint64_t total = 0;
        double bytesPerSecond = 0;
        std::int64_t etaSeconds = -1; ///< -1 while unknown
    };

    explicit TransferMeter(std::uint64_t total);

    /// Records the bytes done now. True when a progress signal is due (the first one, then at most every
    /// 100 ms, and always when done reaches total).
    [[nodiscard]] bool update(std::uint64_t done);
    [[nodiscard]] Reading reading() const;

private:
    struct Sample {
        std::int64_t ms;
        std::uint64_t done;
    };

    std::uint64_t m_total;
    std::uint64_t m_done = 0;
    QElapsedTimer m_clock;
    std::deque<Sample> m_samples; // within the window, oldest first
    std::int64_t m_lastSignalMs = -1;
    bool m_completeSignalled = false;
};

} // namespace ots::client
