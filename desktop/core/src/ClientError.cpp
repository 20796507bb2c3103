#include "ots/client/ClientError.h"

#include "ots/client/DisplayText.h"

#include <utility>

namespace ots::client {

namespace {

ErrorKind kindOf(ots::Errc code) {
    using ots::Errc;
    switch (code) {
    case Errc::None:
        return ErrorKind::None;

    case Errc::LinkEmpty:
    case Errc::LinkTooLong:
    case Errc::LinkBadScheme:
    case Errc::LinkInsecureHttp:
    case Errc::LinkHasUserInfo:
    case Errc::LinkBadHost:
    case Errc::LinkBadPort:
    case Errc::LinkBadPath:
    case Errc::LinkHasQuery:
    case Errc::LinkBadShareId:
    case Errc::LinkMissingSecret:
    case Errc::LinkBadSecret:
        return ErrorKind::BadLink;

    case Errc::PasswordEmpty:
    case Errc::InvalidArgument:
    case Errc::KdfParamsTooWeak:
    case Errc::KdfParamsTooCostly:
        return ErrorKind::Usage;

    case Errc::StreamWrongKey:
        return ErrorKind::WrongKey;

    // What the sender's own machine produced or refused: not an attack on received data.
    case Errc::StreamSizeMismatch: // the input changed size while it was being encrypted
        return ErrorKind::LocalIo;
    case Errc::StreamTooLarge:
        return ErrorKind::TooLarge;
    case Errc::StreamFinished:
        return ErrorKind::Internal;

    // Received data that failed authentication or does not follow the format: whoever sent it (or
    // changed it on the way) cannot be trusted, so nothing of it is kept.
    case Errc::StreamBadMagic:
    case Errc::StreamUnsupportedVersion:
    case Errc::StreamHeaderTampered:
    case Errc::StreamChunkTampered:
    case Errc::StreamReordered:
    case Errc::StreamTruncated:
    case Errc::StreamTrailingData:
    case Errc::StreamMalformed:
    case Errc::MetadataTruncated:
    case Errc::MetadataUnsupportedVersion:
    case Errc::MetadataAuthFailed:
    case Errc::MetadataTooLarge:
    case Errc::MetadataMalformed:
    case Errc::ContainerBadMagic:
    case Errc::ContainerUnsupportedVersion:
    case Errc::ContainerMalformed:
    case Errc::ContainerTruncated:
    case Errc::ContainerTrailingData:
    case Errc::ContainerTooManyEntries:
    case Errc::EntryLinkNotAllowed:
    case Errc::EntryUnknownType:
    case Errc::EntryBadMode:
    case Errc::PathEmpty:
    case Errc::PathTooLong:
    case Errc::PathAbsolute:
    case Errc::PathTraversal:
    case Errc::PathEmptyComponent:
    case Errc::PathNul:
    case Errc::PathInvalidUtf8:
    case Errc::PathControlCharacter:
    case Errc::PathFormatCharacter:
    case Errc::PathBackslash:
    case Errc::PathInvalidCharacter:
    case Errc::PathReservedName:
    case Errc::PathTrailingDotOrSpace:
    case Errc::PathDuplicate:
    case Errc::PathConflict:
        return ErrorKind::Tampered;

    case Errc::IoOpenFailed:
    case Errc::IoReadFailed:
    case Errc::IoWriteFailed:
    case Errc::IoDiskFull:
    case Errc::IoNotFound:
    case Errc::IoUnsupportedFileType:
    case Errc::IoFileChanged:
    case Errc::IoTargetNotDirectory:
    case Errc::IoCommitFailed:
        return ErrorKind::LocalIo;

    case Errc::CryptoInitFailed:
    case Errc::SelfTestFailed:
    case Errc::NotInitialized:
    case Errc::OutOfSecureMemory:
    case Errc::Base64Invalid:
    case Errc::KdfFailed:
        return ErrorKind::Internal;
    }
    return ErrorKind::Internal;
}

QString fromView(std::string_view text) {
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

} // namespace

ClientError ClientError::fromOts(const ots::Error& error) {
    if (error.code == ots::Errc::None)
        return {};
    // The detail may be a received name: shown escaped and bounded, never as it came.
    QString message = fromView(ots::errorMessage(error.code));
    if (!error.detail.empty())
        message += QStringLiteral(" (%1)").arg(visibleText(fromView(error.detail), LineBreaks::Escape, 512));
    return make(kindOf(error.code), fromView(ots::errorName(error.code)), message);
}

ClientError ClientError::fromPacker(const ots::Error& error) {
    using ots::Errc;
    QString reason;
    switch (error.code) {
    case Errc::PathFormatCharacter:
        reason =
            QStringLiteral("its name contains an invisible formatting character (such as a right-to-left "
                           "override) that can disguise the real name");
        break;
    case Errc::PathControlCharacter:
        reason = QStringLiteral("its name contains a control character");
        break;
    case Errc::PathInvalidUtf8:
        reason = QStringLiteral("its name is not valid UTF-8");
        break;
    case Errc::PathTooLong:
        reason = QStringLiteral("its name or path is too long");
        break;
    case Errc::PathBackslash:
        reason = QStringLiteral("its name contains a backslash");
        break;
    default:
        return fromOts(error);
    }
    const QString name = visibleText(fromView(error.detail), LineBreaks::Escape, 512);
    return make(ErrorKind::Usage, fromView(ots::errorName(error.code)),
                QStringLiteral("“%1” cannot be sent: %2. Rename it and try again.").arg(name, reason));
}

ClientError ClientError::make(ErrorKind kind, QString code, QString message) {
    ClientError error;
    error.kind = kind;
    error.code = std::move(code);
    error.message = std::move(message);
    return error;
}

QString errorKindName(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::None:
        return QStringLiteral("none");
    case ErrorKind::Cancelled:
        return QStringLiteral("cancelled");
    case ErrorKind::Usage:
        return QStringLiteral("usage");
    case ErrorKind::BadLink:
        return QStringLiteral("bad_link");
    case ErrorKind::Network:
        return QStringLiteral("network");
    case ErrorKind::RelayUnavailable:
        return QStringLiteral("relay_unavailable");
    case ErrorKind::RelayRejected:
        return QStringLiteral("relay_rejected");
    case ErrorKind::NotFound:
        return QStringLiteral("not_found");
    case ErrorKind::Expired:
        return QStringLiteral("expired");
    case ErrorKind::Deleted:
        return QStringLiteral("deleted");
    case ErrorKind::Downloaded:
        return QStringLiteral("downloaded");
    case ErrorKind::NotReady:
        return QStringLiteral("not_ready");
    case ErrorKind::PasswordRequired:
        return QStringLiteral("password_required");
    case ErrorKind::WrongPassword:
        return QStringLiteral("wrong_password");
    case ErrorKind::WrongKey:
        return QStringLiteral("wrong_key");
    case ErrorKind::Locked:
        return QStringLiteral("locked");
    case ErrorKind::RateLimited:
        return QStringLiteral("rate_limited");
    case ErrorKind::StorageFull:
        return QStringLiteral("storage_full");
    case ErrorKind::TooLarge:
        return QStringLiteral("too_large");
    case ErrorKind::Unauthorized:
        return QStringLiteral("unauthorized");
    case ErrorKind::Tampered:
        return QStringLiteral("tampered");
    case ErrorKind::LocalIo:
        return QStringLiteral("local_io");
    case ErrorKind::Internal:
        return QStringLiteral("internal");
    }
    return QStringLiteral("internal");
}

} // namespace ots::client
