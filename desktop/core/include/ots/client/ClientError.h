#pragma once

// What can go wrong in the client, as a kind a program branches on plus a sentence a person reads.
// Relay error codes (SPEC.md §10) and ots::Errc (shared/) both map onto a Kind; the CLI's exit codes
// and the GUI's messages are decided by Kind only, never by parsing text.

#include "ots/Error.h"

#include <QMetaType>
#include <QString>

namespace ots::client {

enum class ErrorKind {
    None = 0,
    Cancelled,        ///< the user cancelled
    Usage,            ///< a bad argument or option (CLI), an invalid setting
    BadLink,          ///< the link does not parse (ots::Errc Link*)
    Network,          ///< connection refused/reset/timeout, TLS failure, DNS — after retries
    RelayUnavailable, ///< 503/500 after retries, or an answer that is not the API (not a relay)
    RelayRejected,    ///< 400/401/405/411/413/416 or another answer the client did not expect
    NotFound,         ///< 404 not_found: never existed or long gone
    Expired,          ///< 410 expired
    Deleted,          ///< 410 deleted: revoked by the sender
    Downloaded,       ///< 410 downloaded / no_downloads_left: every allowed download used
    NotReady,         ///< 409 not_ready: the sender's upload has not finished
    PasswordRequired, ///< the share needs a password and none was given
    WrongPassword,    ///< 403 proof_invalid with a password share (attemptsLeft says how many remain)
    WrongKey,         ///< proof refused on a share without password: the link secret is wrong
    Locked,           ///< 423: too many wrong passwords; the sender must unlock
    RateLimited,      ///< 429 after waiting Retry-After as often as allowed
    StorageFull,      ///< 507 on the relay
    TooLarge,         ///< 413 too_large on create: above the relay's max size
    Unauthorized,     ///< 401 with an owner token or upload token
    Tampered,         ///< the ciphertext or metadata failed authentication, or the stream is cut/extended
    LocalIo,          ///< reading the input or writing the output failed (incl. disk full)
    Internal,         ///< a bug: an invariant did not hold
};

struct ClientError {
    ErrorKind kind = ErrorKind::None;
    /// One or two sentences for a person: what happened and what to do next. Never a bare code.
    QString message;
    /// Stable machine name for --json output and logs: the relay's code ("proof_invalid"), the
    /// ots::errorName ("stream.truncated"), or a client name ("network", "cancelled").
    QString code;
    int httpStatus = 0;    ///< 0 when no HTTP answer was involved
    int attemptsLeft = -1; ///< WrongPassword/Locked: attempts remaining on the relay, -1 unknown
    int retryAfterSeconds = -1;

    [[nodiscard]] bool ok() const noexcept { return kind == ErrorKind::None; }
    explicit operator bool() const noexcept { return !ok(); } ///< true when there IS an error

    [[nodiscard]] static ClientError fromOts(const ots::Error& error);
    /// fromOts for what the packer refused while listing the sender's own files: a name that cannot
    /// be sent is the sender's to fix (Usage), named escaped, instead of "the share contains…".
    [[nodiscard]] static ClientError fromPacker(const ots::Error& error);
    [[nodiscard]] static ClientError make(ErrorKind kind, QString code, QString message);
};

/// Stable short name of a kind ("wrong_password"), for --json.
[[nodiscard]] QString errorKindName(ErrorKind kind);

/// A value or a ClientError.
template <typename T>
class Outcome {
public:
    Outcome(T value)
        : m_value(std::move(value)) {} // NOLINT(google-explicit-constructor)
    Outcome(ClientError error)
        : m_error(std::move(error)) {} // NOLINT(google-explicit-constructor)
    [[nodiscard]] bool ok() const noexcept { return m_error.ok(); }
    [[nodiscard]] const T& value() const& { return m_value; }
    [[nodiscard]] T& value() & { return m_value; }
    [[nodiscard]] T&& value() && { return std::move(m_value); }
    [[nodiscard]] const ClientError& error() const noexcept { return m_error; }

private:
    T m_value{};
    ClientError m_error;
};

} // namespace ots::client

// Declared with the type, so that every header that uses it in a signal sees the same declaration.
Q_DECLARE_METATYPE(ots::client::ClientError)
