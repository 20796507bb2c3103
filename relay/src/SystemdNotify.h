#pragma once

// Readiness and stopping notices for systemd (Type=notify), without libsystemd: one datagram to the
// AF_UNIX socket named by $NOTIFY_SOCKET, as sd_notify(3) describes. A leading '@' names a socket in
// the abstract namespace. Outside systemd the variable is unset and nothing is sent.

#include "ots/Result.h"

#include <string_view>

namespace ots::relay {

class SystemdNotify {
public:
    /// Sends state (e.g. "READY=1\nSTATUS=…") to $NOTIFY_SOCKET. True if sent, false when the
    /// variable is unset or empty (not started by systemd); an error when the send failed.
    [[nodiscard]] static Result<bool> notify(std::string_view state);
    /// The same to an explicit socket: a path, or "@name" for the abstract namespace.
    [[nodiscard]] static Result<bool> notify(std::string_view state, std::string_view socketAddress);
};

} // namespace ots::relay
