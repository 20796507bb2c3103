#include "ExitCodes.h"

namespace ots::cli {

using client::ErrorKind;

int exitCodeFor(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::None:
        return ExitOk;
    case ErrorKind::Cancelled:
        return ExitCancelled;
    case ErrorKind::Usage:
    case ErrorKind::BadLink:
        return ExitUsage;
    case ErrorKind::Network:
    case ErrorKind::RelayUnavailable:
    case ErrorKind::RateLimited:
    case ErrorKind::StorageFull:
        return ExitNetwork;
    case ErrorKind::NotFound:
    case ErrorKind::Expired:
    case ErrorKind::Deleted:
    case ErrorKind::Downloaded:
    case ErrorKind::NotReady:
        return ExitGone;
    case ErrorKind::PasswordRequired:
    case ErrorKind::WrongPassword:
    case ErrorKind::WrongKey:
    case ErrorKind::Locked:
        return ExitPassword;
    case ErrorKind::Tampered:
        return ExitIntegrity;
    case ErrorKind::LocalIo:
        return ExitLocalIo;
    case ErrorKind::RelayRejected:
    case ErrorKind::TooLarge:
    case ErrorKind::Unauthorized:
    case ErrorKind::Internal:
        return ExitFailure;
    }
    return ExitFailure;
}

QString exitCodeHelp() {
    return QStringLiteral(
        "Exit codes:\n"
        "  0    success\n"
        "  1    other failure (relay refused the request, share too large, bad upload token)\n"
        "  2    usage: bad option or argument, malformed link\n"
        "  3    network: relay unreachable or unavailable, storage full, rate limited\n"
        "  4    share gone: not found, expired, deleted by the sender, already downloaded,\n"
        "       upload not finished\n"
        "  5    password required or wrong, link damaged or incomplete, share locked\n"
        "  6    integrity: the data was tampered with or truncated\n"
        "  7    local I/O: reading the input or writing the output failed (e.g. disk full)\n"
        "  130  cancelled (Ctrl-C, SIGTERM)\n");
}

} // namespace ots::cli
