#pragma once

// What SendJob and ReceiveJob both need: the error of a call made at the wrong time, and dropping a
// secret they held as bytes (a password's UTF-8). Internal to ots_client_jobs.

#include "ots/client/ClientError.h"

#include <QByteArray>
#include <QString>

#include <cstring>

namespace ots::client::jobs {

[[nodiscard]] inline ClientError usage(const QString& message) {
    return ClientError::make(ErrorKind::Usage, QStringLiteral("usage"), message);
}

/// Overwrites the bytes with zeros, then empties the array.
inline void wipe(QByteArray& bytes) {
    if (!bytes.isEmpty())
        std::memset(bytes.data(), 0, static_cast<std::size_t>(bytes.size()));
    bytes.clear();
}

} // namespace ots::client::jobs
