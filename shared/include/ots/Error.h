#pragma once

// Every way the shared library can fail, as one documented enum. Each code has a stable machine
// name (errorName, used in tests, logs and the relay's JSON) and a sentence for a person
// (errorMessage). Error::detail may add context such as a path inside a share, never a secret.

#include <cstdint>
#include <string>
#include <string_view>

namespace ots {

enum class Errc : std::uint16_t {
    None = 0,

    // Start-up and generic
    CryptoInitFailed,  ///< libsodium could not initialise
    SelfTestFailed,    ///< a known-answer test gave a wrong result: the build or machine is broken
    NotInitialized,    ///< ots::initialize() was not called or failed
    OutOfSecureMemory, ///< sodium_malloc failed
    InvalidArgument,   ///< a caller passed a value outside the documented range

    // Encoding
    Base64Invalid, ///< not canonical unpadded base64url of the expected length

    // Link grammar
    LinkEmpty,
    LinkTooLong,
    LinkBadScheme,    ///< scheme is not https, http or onetimeshare
    LinkInsecureHttp, ///< http:// to a host that is not loopback
    LinkHasUserInfo,  ///< user:password@ before the host
    LinkBadHost,
    LinkBadPort,
    LinkBadPath, ///< path is not exactly /s/<id>
    LinkHasQuery,
    LinkBadShareId,    ///< id is not 22 characters of canonical base64url
    LinkMissingSecret, ///< no #fragment: the link was cut when it was copied
    LinkBadSecret,     ///< fragment is not 43 characters of canonical base64url

    // Key schedule
    PasswordEmpty,
    KdfParamsTooWeak,   ///< Argon2id parameters below the floor a client accepts
    KdfParamsTooCostly, ///< Argon2id parameters above the ceiling (would exhaust memory or time)
    KdfFailed,          ///< libargon2 reported an error (usually memory)

    // Stream format
    StreamBadMagic,
    StreamUnsupportedVersion,
    StreamWrongKey,       ///< key commitment does not match: wrong link secret or password
    StreamHeaderTampered, ///< key is right but the header MAC fails
    StreamChunkTampered,  ///< a chunk failed authentication
    StreamReordered,      ///< a chunk carries another position's index
    StreamTruncated,      ///< the input ended before the final chunk
    StreamTrailingData,   ///< bytes after the final chunk
    StreamMalformed,      ///< authenticated but inconsistent (wrong tag, length, padding)
    StreamSizeMismatch,   ///< the encryptor was given more or fewer bytes than declared
    StreamTooLarge,       ///< payload beyond the format's limit
    StreamFinished,       ///< data after finish(), or finish() twice

    // Metadata envelope
    MetadataTruncated,
    MetadataUnsupportedVersion,
    MetadataAuthFailed,
    MetadataTooLarge,
    MetadataMalformed,

    // Container
    ContainerBadMagic,
    ContainerUnsupportedVersion,
    ContainerMalformed,
    ContainerTruncated,
    ContainerTrailingData,
    ContainerTooManyEntries,
    EntryLinkNotAllowed,
    EntryUnknownType,
    EntryBadMode,
    PathEmpty,
    PathTooLong,
    PathAbsolute,
    PathTraversal,      ///< a "." or ".." component
    PathEmptyComponent, ///< "a//b" or a trailing slash
    PathNul,
    PathInvalidUtf8,
    PathControlCharacter,
    PathFormatCharacter, ///< bidi controls, zero-width and other invisible format characters (Cf)
    PathBackslash,
    PathInvalidCharacter,   ///< a character the target system cannot store in a name
    PathReservedName,       ///< CON, NUL, COM1 … on Windows
    PathTrailingDotOrSpace, ///< Windows silently strips these
    PathDuplicate,
    PathConflict, ///< a file where a folder is needed, or the reverse

    // Files
    IoOpenFailed,
    IoReadFailed,
    IoWriteFailed,
    IoDiskFull,
    IoNotFound,
    IoUnsupportedFileType, ///< a symlink, socket or device given to the packer
    IoFileChanged,         ///< a file changed size while it was being packed
    IoTargetNotDirectory,
    IoCommitFailed, ///< renaming finished files into place failed
};

struct Error {
    Errc code = Errc::None;
    std::string detail;
};

/// Stable machine name, e.g. "stream.truncated". Never changes once released.
[[nodiscard]] std::string_view errorName(Errc code) noexcept;
/// One sentence for a person: what happened and, where it helps, what to do.
[[nodiscard]] std::string_view errorMessage(Errc code) noexcept;
/// errorMessage plus the detail, if any.
[[nodiscard]] std::string describe(const Error& error);

} // namespace ots
