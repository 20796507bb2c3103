// libFuzzer target for what the client reads in a relay's answers (desktop/core/src/RelayReplies.h
// and BlobUpload::parseAnswer): a malicious or broken relay controls every byte of them.
// The first input byte picks the reader, the rest is the answer's body (or header, or raw HTTP).
//
// Crashes: any sanitizer report; an accepted answer whose fields break the reader's promises (ids and
// tokens of their exact length and spelling, integers in range, a kdf exactly with a password, an
// upload offset within the size, …); an accepted object that does not survive re-serialisation with
// the same verdict and fields; a Content-Range or decimal that does not print back to what was read;
// an HTTP answer read differently once the connection is known to be closed.

#include "BlobUpload.h"
#include "RelayReplies.h"
#include "ots/Crypto.h"
#include "ots/MetadataEnvelope.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace ots::client;
namespace r = ots::client::replies;

namespace {

void require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "fuzz_client_json: %s\n", what);
        std::abort();
    }
}

const QString kId = QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA");

void checkKdf(const KdfInfo& kdf) {
    require(kdf.salt.size() == r::kSaltBytes, "salt length");
    require(kdf.iterations > 0 && kdf.memoryKiB > 0 && kdf.parallelism > 0, "kdf parameters");
}

QJsonObject infoToJson(const ShareInfo& info, bool owner) {
    QJsonObject object{{QStringLiteral("id"), info.id},
                       {QStringLiteral("state"), info.state},
                       {QStringLiteral("size"), static_cast<qint64>(info.size)},
                       {QStringLiteral("expiresAt"), static_cast<qint64>(info.expiresAt)},
                       {QStringLiteral("downloadsLeft"), info.downloadsLeft},
                       {QStringLiteral("passwordRequired"), info.passwordRequired},
                       {QStringLiteral("attemptsLeft"), info.attemptsLeft},
                       {QStringLiteral("kdf"), QJsonValue::Null}};
    if (info.kdf)
        object[QStringLiteral("kdf")] =
            QJsonObject{{QStringLiteral("salt"), QString::fromLatin1(r::base64UrlEncode(info.kdf->salt))},
                        {QStringLiteral("iterations"), static_cast<qint64>(info.kdf->iterations)},
                        {QStringLiteral("memoryKiB"), static_cast<qint64>(info.kdf->memoryKiB)},
                        {QStringLiteral("parallelism"), static_cast<qint64>(info.kdf->parallelism)}};
    if (owner) {
        object[QStringLiteral("uploadOffset")] = static_cast<qint64>(info.uploadOffset);
        object[QStringLiteral("downloadsReserved")] = info.downloadsReserved;
        object[QStringLiteral("downloadsFinished")] = info.downloadsFinished;
        object[QStringLiteral("locked")] = info.locked;
    }
    return object;
}

bool sameInfo(const ShareInfo& a, const ShareInfo& b) {
    const bool kdfSame =
        a.kdf.has_value() == b.kdf.has_value() &&
        (!a.kdf || (a.kdf->salt == b.kdf->salt && a.kdf->iterations == b.kdf->iterations &&
                    a.kdf->memoryKiB == b.kdf->memoryKiB && a.kdf->parallelism == b.kdf->parallelism));
    return kdfSame && a.id == b.id && a.state == b.state && a.size == b.size && a.expiresAt == b.expiresAt &&
           a.downloadsLeft == b.downloadsLeft && a.passwordRequired == b.passwordRequired &&
           a.attemptsLeft == b.attemptsLeft && a.uploadOffset == b.uploadOffset &&
           a.downloadsReserved == b.downloadsReserved && a.downloadsFinished == b.downloadsFinished &&
           a.locked == b.locked;
}

void fuzzShareInfo(const QByteArray& body, bool owner) {
    const auto info = r::parseShareInfo(body, kId, owner);
    if (!info)
        return;
    require(info->id == kId, "info for another share");
    require(info->state == QLatin1String("uploading") || info->state == QLatin1String("ready") ||
                info->state == QLatin1String("locked"),
            "unknown state");
    require(info->size <= static_cast<std::uint64_t>(r::kMaxJsonInteger), "size beyond 2^53");
    require(info->expiresAt >= 0 && info->downloadsLeft >= 0 && info->attemptsLeft >= 0, "negative count");
    require(info->passwordRequired == info->kdf.has_value(), "kdf without password or password without kdf");
    if (info->kdf)
        checkKdf(*info->kdf);
    if (owner)
        require(info->uploadOffset <= info->size && info->downloadsReserved >= 0 &&
                    info->downloadsFinished >= 0,
                "owner fields out of range");
    const QByteArray again = QJsonDocument(infoToJson(*info, owner)).toJson(QJsonDocument::Compact);
    const auto reread = r::parseShareInfo(again, kId, owner);
    require(reread && sameInfo(*info, *reread), "share info does not survive a round trip");
}

void fuzzAnswer(const QByteArray& bytes) {
    BlobUpload::Result open;
    const auto whileOpen = BlobUpload::parseAnswer(bytes, false, open);
    BlobUpload::Result closed;
    const auto afterClose = BlobUpload::parseAnswer(bytes, true, closed);
    for (const auto& [parse, result] : {std::pair{whileOpen, &open}, std::pair{afterClose, &closed}}) {
        if (parse != BlobUpload::Parse::Complete)
            continue;
        require(result->status >= 200 && result->status <= 999, "final status out of range");
        require(result->body.size() <= BlobUpload::kMaxAnswerPart, "body beyond the bound");
        require(result->uploadOffset.size() <= BlobUpload::kMaxAnswerPart, "header beyond the bound");
    }
    // More knowledge (the close) never changes a finished reading, and never un-finishes it.
    if (whileOpen == BlobUpload::Parse::Complete) {
        require(afterClose == BlobUpload::Parse::Complete, "a complete answer became incomplete at close");
        require(open.status == closed.status && open.body == closed.body &&
                    open.uploadOffset == closed.uploadOffset && open.retryAfter == closed.retryAfter,
                "the close changed a complete answer");
    }
    if (whileOpen == BlobUpload::Parse::NotHttp || whileOpen == BlobUpload::Parse::TooLarge)
        require(afterClose == whileOpen, "the close changed a refusal");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    require(ots::initialize().ok(), "libsodium did not initialise");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const QByteArray body(reinterpret_cast<const char*>(data) + 1, static_cast<qsizetype>(size - 1));
    switch (data[0] % 13) {
    case 0: {
        const auto object = r::parseObject(body);
        if (object) {
            // Re-serialised, the same object comes back (no duplicate keys can appear or vanish).
            const auto again = r::parseObject(QJsonDocument(*object).toJson(QJsonDocument::Compact));
            require(again && *again == *object, "an object does not survive a round trip");
        }
        break;
    }
    case 1: {
        const auto error = r::parseErrorBody(body);
        if (error)
            require(error->attemptsLeft >= -1, "attemptsLeft below -1");
        break;
    }
    case 2: {
        constexpr std::uint64_t kDeclared = 4225;
        const auto created = r::parseCreated(body, kDeclared);
        if (created) {
            require(r::isShareId(created->id), "created id is not a share id");
            require(r::base64UrlDecode(created->ownerToken, r::kTokenBytes).has_value(), "owner token");
            require(created->uploadOffset <= kDeclared && created->expiresAt >= 0,
                    "created fields out of range");
        }
        break;
    }
    case 3:
        (void)r::parseCompleted(body);
        break;
    case 4:
        fuzzShareInfo(body, false);
        break;
    case 5:
        fuzzShareInfo(body, true);
        break;
    case 6: {
        const auto challenge = r::parseChallenge(body);
        if (challenge)
            require(challenge->nonce.size() == r::kNonceBytes && challenge->expiresIn >= 0,
                    "challenge fields");
        break;
    }
    case 7: {
        const auto envelope = r::parseMetadata(body);
        if (envelope)
            require(envelope->size() >= r::kMinEnvelopeBytes &&
                        static_cast<std::size_t>(envelope->size()) <= ots::metadata::maxEnvelopeBytes(),
                    "envelope size");
        break;
    }
    case 8: {
        const auto reservation = r::parseReservation(body);
        if (reservation) {
            require(r::base64UrlDecode(reservation->ticket, r::kTokenBytes).has_value(), "ticket");
            require(reservation->size <= static_cast<std::uint64_t>(r::kMaxJsonInteger) &&
                        reservation->expiresIn >= 0,
                    "reservation fields");
        }
        break;
    }
    case 9: {
        const auto left = r::parseFinish(body);
        if (left)
            require(*left >= 0, "negative downloadsLeft");
        break;
    }
    case 10: {
        const auto value = r::parseDecimal(body);
        if (value)
            require(QByteArray::number(static_cast<qulonglong>(*value)) ==
                        (body.size() > 1 && body.startsWith('0')
                             ? QByteArray::number(static_cast<qulonglong>(body.toULongLong()))
                             : body),
                    "a decimal does not print back");
        break;
    }
    case 11: {
        const auto range = r::parseContentRange(body);
        if (range) {
            require(range->start <= range->end && range->end < range->total, "range out of order");
            const QByteArray printed = "bytes " + QByteArray::number(static_cast<qulonglong>(range->start)) +
                                       '-' + QByteArray::number(static_cast<qulonglong>(range->end)) + '/' +
                                       QByteArray::number(static_cast<qulonglong>(range->total));
            const auto reread = r::parseContentRange(printed);
            require(reread && reread->start == range->start && reread->end == range->end &&
                        reread->total == range->total,
                    "a Content-Range does not print back");
        }
        break;
    }
    default:
        fuzzAnswer(body);
        break;
    }
    return 0;
}
