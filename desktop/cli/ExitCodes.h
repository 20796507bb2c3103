#pragma once

// The `ots` command's exit codes: one per kind of outcome a script branches on. The mapping from
// ClientError kinds is the only place they are decided; `ots --help` and README.md list them.

#include "ots/client/ClientError.h"

#include <QString>

namespace ots::cli {

enum ExitCode : int {
    ExitOk = 0,
    ExitFailure = 1,   ///< anything not listed below
    ExitUsage = 2,     ///< a bad command line or a malformed link
    ExitNetwork = 3,   ///< network down, relay unavailable or full, rate limited
    ExitGone = 4,      ///< not found, expired, deleted by the sender, downloaded, not ready yet
    ExitPassword = 5,  ///< password required or wrong, wrong key, locked
    ExitIntegrity = 6, ///< tampered or truncated data
    ExitLocalIo = 7,   ///< reading the input or writing the output failed (e.g. disk full)
    ExitCancelled = 130,
};

[[nodiscard]] int exitCodeFor(client::ErrorKind kind);
/// The table of exit codes as shown by `ots --help`.
[[nodiscard]] QString exitCodeHelp();

} // namespace ots::cli
