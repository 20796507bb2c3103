#pragma once

// What the client reads in the relay's answers (shared/SPEC.md §10), as pure functions of the bytes:
// no network, no Qt event loop, so tests/fuzz/fuzz_client_json.cpp can feed them anything.
//
// Strict on purpose: a body is accepted only when it is one JSON object without duplicate keys (at
// any depth), every field the call needs is there with its type (an integer is a JSON number with no
// fraction, within the field's range; no number beyond 2^53), and binary fields are base64url of
// their exact length in their one canonical spelling. Anything else is std::nullopt, which
// RelayClient turns into its typed error "not_a_relay" (ErrorKind::RelayUnavailable); no
// half-filled result ever leaves here.

#include "ots/client/RelayClient.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <optional>

namespace ots::client::replies {

constexpr qsizetype kShareIdBytes = 16;
constexpr qsizetype kTokenBytes = 32;
constexpr qsizetype kNonceBytes = 32;
constexpr qsizetype kSignatureBytes = 64;
constexpr qsizetype kPublicKeyBytes = 32;
constexpr qsizetype kSaltBytes = 16;
/// The smallest envelope: version, nonce, one padded block, tag (SPEC.md §10.13).
constexpr qsizetype kMinEnvelopeBytes = 1 + 24 + 256 + 16;
/// The largest integer a JSON number carries exactly (IEEE double); the API never needs more.
constexpr std::int64_t kMaxJsonInteger = std::int64_t{1} << 53;

QByteArray base64UrlEncode(const QByteArray& bytes);
/// Strict unpadded base64url of exactly `bytes` bytes, in its one canonical spelling.
std::optional<QByteArray> base64UrlDecode(const QString& text, qsizetype bytes);
/// Strict standard base64 with padding, in its one canonical spelling.
std::optional<QByteArray> base64Decode(const QString& text);
bool isShareId(const QString& id);

/// A non-negative decimal header value such as Upload-Offset (at most 19 digits); nothing else.
std::optional<std::uint64_t> parseDecimal(const QByteArray& text);

/// "bytes START-END/TOTAL" of a 206 answer, with START ≤ END < TOTAL.
struct ContentRange {
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::uint64_t total = 0;
};
std::optional<ContentRange> parseContentRange(const QByteArray& header);

/// One JSON object and nothing else, no key twice in any object of it.
std::optional<QJsonObject> parseObject(const QByteArray& body);

/// The API's error shape {"error": CODE, "message": TEXT} (§10); attemptsLeft of 403 proof_invalid
/// when it is an integer (clamped to int), else -1. TEXT is never kept: a client maps CODE.
/// field/min/max of a 400 bad_request for a value out of range, and max of a 413 too_large
/// (§10.13): field only when it is one of the create fields, the numbers only when they are
/// integers in 0..2^53 with min ≤ max; otherwise empty / -1.
struct ErrorBody {
    QString code;
    int attemptsLeft = -1;
    QString field;
    std::int64_t min = -1;
    std::int64_t max = -1;
};
std::optional<ErrorBody> parseErrorBody(const QByteArray& body);

/// 201 of create (§10.1); `declaredSize` is the size the client asked for (uploadOffset ≤ it).
std::optional<CreatedShare> parseCreated(const QByteArray& body, std::uint64_t declaredSize);
/// 200 of complete (§10.3): {"state": "ready"}.
bool parseCompleted(const QByteArray& body);
/// 200 of info (§10.4) for share `id`; with `owner`, the owner status fields too (§10.9).
std::optional<ShareInfo> parseShareInfo(const QByteArray& body, const QString& id, bool owner);
/// 200 of challenge (§10.5).
std::optional<Challenge> parseChallenge(const QByteArray& body);
/// 200 of metadata (§10.6): the envelope's bytes, of a size an envelope can have.
std::optional<QByteArray> parseMetadata(const QByteArray& body);
/// 201 of reservations (§10.6).
std::optional<Reservation> parseReservation(const QByteArray& body);
/// 200 of finish (§10.8): downloadsLeft.
std::optional<int> parseFinish(const QByteArray& body);

} // namespace ots::client::replies
