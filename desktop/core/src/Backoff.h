#pragma once

// How the jobs wait between tries of a transfer that broke: exponential backoff within the job's
// RetryPolicy, in sleeps that a cancel cuts short, and which failures are worth another try.

#include "ots/client/ClientError.h"
#include "ots/client/RelayClient.h"

#include <chrono>

namespace ots::client {

class Backoff {
public:
    /// The wait before try number failure + 1: firstDelay · 2^(failure − 1), at most maxDelay.
    [[nodiscard]] static std::chrono::milliseconds delay(const RetryPolicy& policy, int failure);
    /// Sleeps, waking early when cancel is set; false if it was.
    [[nodiscard]] static bool sleep(std::chrono::milliseconds duration, const CancelToken& cancel);
    /// A failure that may pass by itself: the connection, a relay restarting or busy.
    [[nodiscard]] static bool isTransient(const ClientError& error);
};

} // namespace ots::client
