#include "ots/Error.h"

namespace ots {

namespace {

struct ErrorText {
    std::string_view name;
    std::string_view message;
};

ErrorText textOf(Errc code) noexcept {
    switch (code) {
    case Errc::None:
        return {"ok", "No error."};
    case Errc::CryptoInitFailed:
        return {"crypto.init_failed", "The cryptography library could not start."};
    case Errc::SelfTestFailed:
        return {
            "crypto.self_test_failed",
            "A cryptographic self-test failed; this installation is broken and will not encrypt or decrypt."};
    case Errc::NotInitialized:
        return {"crypto.not_initialized", "The cryptography library was not started."};
    case Errc::OutOfSecureMemory:
        return {"crypto.out_of_secure_memory", "Could not allocate protected memory for a key."};
    case Errc::InvalidArgument:
        return {"invalid_argument", "An internal value was out of range."};
    case Errc::Base64Invalid:
        return {"encoding.base64_invalid", "The value is not valid base64url of the expected length."};
    case Errc::LinkEmpty:
        return {"link.empty", "The link is empty."};
    case Errc::LinkTooLong:
        return {"link.too_long", "The link is too long to be a OneTimeShare link."};
    case Errc::LinkBadScheme:
        return {"link.bad_scheme",
                "This is not a OneTimeShare link: it must start with https:// or onetimeshare://."};
    case Errc::LinkInsecureHttp:
        return {"link.insecure_http",
                "The link uses unencrypted http:// to a remote server; only https:// links are accepted."};
    case Errc::LinkHasUserInfo:
        return {"link.has_user_info", "The link contains a user name or password before the host."};
    case Errc::LinkBadHost:
        return {"link.bad_host", "The server name in the link is not valid."};
    case Errc::LinkBadPort:
        return {"link.bad_port", "The port number in the link is not valid."};
    case Errc::LinkBadPath:
        return {"link.bad_path",
                "The link does not point to a share (expected /s/ followed by the share id)."};
    case Errc::LinkHasQuery:
        return {"link.has_query", "The link has extra parameters after a '?'; it may have been altered."};
    case Errc::LinkBadShareId:
        return {"link.bad_share_id",
                "The share id in the link is damaged; ask the sender to copy the link again."};
    case Errc::LinkMissingSecret:
        return {"link.missing_secret",
                "The link is missing its secret part after '#'; it was probably cut off when it was copied."};
    case Errc::LinkBadSecret:
        return {"link.bad_secret",
                "The secret part of the link is damaged; ask the sender to copy the link again."};
    case Errc::PasswordEmpty:
        return {"key.password_empty", "The password is empty."};
    case Errc::KdfParamsTooWeak:
        return {"key.kdf_params_too_weak",
                "The share's password protection settings are below the safe minimum."};
    case Errc::KdfParamsTooCostly:
        return {"key.kdf_params_too_costly",
                "The share's password protection settings need more memory or time than this app allows."};
    case Errc::KdfFailed:
        return {"key.kdf_failed", "The password could not be processed (not enough memory?)."};
    case Errc::StreamBadMagic:
        return {"stream.bad_magic", "This is not OneTimeShare encrypted data."};
    case Errc::StreamUnsupportedVersion:
        return {"stream.unsupported_version", "The data uses a newer format version; update OneTimeShare."};
    case Errc::StreamWrongKey:
        return {"stream.wrong_key", "The link secret or the password is wrong."};
    case Errc::StreamHeaderTampered:
        return {"stream.header_tampered", "The encrypted data's header was altered; nothing was decrypted."};
    case Errc::StreamChunkTampered:
        return {"stream.chunk_tampered", "The encrypted data was altered or damaged; nothing was kept."};
    case Errc::StreamReordered:
        return {"stream.reordered", "Parts of the encrypted data are out of order; nothing was kept."};
    case Errc::StreamTruncated:
        return {"stream.truncated", "The encrypted data is incomplete; nothing was kept."};
    case Errc::StreamTrailingData:
        return {"stream.trailing_data",
                "Unexpected data follows the end of the encrypted data; nothing was kept."};
    case Errc::StreamMalformed:
        return {"stream.malformed", "The encrypted data is not laid out correctly; nothing was kept."};
    case Errc::StreamSizeMismatch:
        return {"stream.size_mismatch", "The input did not have the size that was announced for it."};
    case Errc::StreamTooLarge:
        return {"stream.too_large", "The data is larger than the format allows."};
    case Errc::StreamFinished:
        return {"stream.finished", "The stream was already finished."};
    case Errc::MetadataTruncated:
        return {"metadata.truncated", "The share's description is incomplete."};
    case Errc::MetadataUnsupportedVersion:
        return {"metadata.unsupported_version",
                "The share's description uses a newer format; update OneTimeShare."};
    case Errc::MetadataAuthFailed:
        return {"metadata.auth_failed",
                "The share's description could not be decrypted: wrong key or altered data."};
    case Errc::MetadataTooLarge:
        return {"metadata.too_large", "The share's description is too large."};
    case Errc::MetadataMalformed:
        return {"metadata.malformed", "The share's description is not laid out correctly."};
    case Errc::ContainerBadMagic:
        return {"container.bad_magic", "The decrypted data is not a OneTimeShare file bundle."};
    case Errc::ContainerUnsupportedVersion:
        return {"container.unsupported_version", "The file bundle uses a newer format; update OneTimeShare."};
    case Errc::ContainerMalformed:
        return {"container.malformed", "The file bundle is not laid out correctly."};
    case Errc::ContainerTruncated:
        return {"container.truncated", "The file bundle ended too early."};
    case Errc::ContainerTrailingData:
        return {"container.trailing_data", "Unexpected data follows the end of the file bundle."};
    case Errc::ContainerTooManyEntries:
        return {"container.too_many_entries", "The share holds too many files."};
    case Errc::EntryLinkNotAllowed:
        return {"entry.link_not_allowed", "The share contains a link; links are never unpacked."};
    case Errc::EntryUnknownType:
        return {"entry.unknown_type", "The share contains an entry of an unknown kind."};
    case Errc::EntryBadMode:
        return {"entry.bad_mode", "The share contains a file with invalid permissions."};
    case Errc::PathEmpty:
        return {"path.empty", "The share contains a file with an empty name."};
    case Errc::PathTooLong:
        return {"path.too_long", "The share contains a file name that is too long."};
    case Errc::PathAbsolute:
        return {"path.absolute", "The share tries to write to an absolute path outside the chosen folder."};
    case Errc::PathTraversal:
        return {"path.traversal", "The share tries to write outside the chosen folder using '..' or '.'."};
    case Errc::PathEmptyComponent:
        return {"path.empty_component", "The share contains a path with an empty folder name."};
    case Errc::PathNul:
        return {"path.nul", "The share contains a file name with a NUL character."};
    case Errc::PathInvalidUtf8:
        return {"path.invalid_utf8", "The share contains a file name that is not valid UTF-8."};
    case Errc::PathControlCharacter:
        return {"path.control_character", "The share contains a file name with control characters."};
    case Errc::PathFormatCharacter:
        return {"path.format_character",
                "The share contains a file name with invisible formatting characters (such as a "
                "right-to-left override) that can disguise its real name."};
    case Errc::PathBackslash:
        return {"path.backslash", "The share contains a file name with a backslash."};
    case Errc::PathInvalidCharacter:
        return {"path.invalid_character", "The share contains a file name this system cannot store."};
    case Errc::PathReservedName:
        return {"path.reserved_name",
                "The share contains a file name reserved by this system (such as CON or NUL)."};
    case Errc::PathTrailingDotOrSpace:
        return {"path.trailing_dot_or_space", "The share contains a file name ending in a dot or space."};
    case Errc::PathDuplicate:
        return {"path.duplicate", "The share contains the same file name twice."};
    case Errc::PathConflict:
        return {"path.conflict", "The share uses one name both as a file and as a folder."};
    case Errc::IoOpenFailed:
        return {"io.open_failed", "A file could not be opened."};
    case Errc::IoReadFailed:
        return {"io.read_failed", "A file could not be read."};
    case Errc::IoWriteFailed:
        return {"io.write_failed", "A file could not be written."};
    case Errc::IoDiskFull:
        return {"io.disk_full", "The disk is full; free some space and try again. Nothing was kept."};
    case Errc::IoNotFound:
        return {"io.not_found", "The file or folder does not exist."};
    case Errc::IoUnsupportedFileType:
        return {"io.unsupported_file_type",
                "Only regular files and folders can be shared; links and devices cannot."};
    case Errc::IoFileChanged:
        return {"io.file_changed", "A file changed while it was being encrypted; try again."};
    case Errc::IoTargetNotDirectory:
        return {"io.target_not_directory", "The chosen destination is not a folder."};
    case Errc::IoCommitFailed:
        return {"io.commit_failed", "The received files could not be moved into the chosen folder."};
    }
    return {"unknown", "Unknown error."};
}

} // namespace

std::string_view errorName(Errc code) noexcept {
    return textOf(code).name;
}

std::string_view errorMessage(Errc code) noexcept {
    return textOf(code).message;
}

std::string describe(const Error& error) {
    std::string text(errorMessage(error.code));
    if (!error.detail.empty()) {
        text += " (";
        text += error.detail;
        text += ')';
    }
    return text;
}

} // namespace ots
