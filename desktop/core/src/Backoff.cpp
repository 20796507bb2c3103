#include "Backoff.h"

#include <QDeadlineTimer>
#include <QThread>

#include <algorithm>

namespace ots::client {

std::chrono::milliseconds Backoff::delay(const RetryPolicy& policy, int failure) {
    std::chrono::milliseconds wait = policy.firstDelay;
    for (int i = 1; i < failure && wait < policy.maxDelay; ++i)
        wait *= 2;
    return std::min(wait, policy.maxDelay);
}

bool Backoff::sleep(std::chrono::milliseconds duration, const CancelToken& cancel) {
    const QDeadlineTimer deadline(duration);
    while (!cancel.cancelled()) {
        const qint64 left = deadline.remainingTime();
        if (left <= 0)
            return true;
        QThread::msleep(static_cast<unsigned long>(std::min<qint64>(left, 25)));
    }
    return false;
}

bool Backoff::isTransient(const ClientError& error) {
    return error.kind == ErrorKind::Network || error.kind == ErrorKind::RelayUnavailable ||
           error.kind == ErrorKind::RateLimited;
}

} // namespace ots::client
