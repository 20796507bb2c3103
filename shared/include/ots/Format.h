#pragma once

// Every constant of format and protocol version 1 in one place. SPEC.md is normative; each value
// here is named there, with the reason for it. Changing any of them is a new format version.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ots::format {

// Link secret and share id --------------------------------------------------------------------
inline constexpr std::size_t kLinkSecretBytes = 32; // 256-bit: the whole key when there is no password
inline constexpr std::size_t kShareIdBytes = 16;    // 128-bit, chosen by the relay
inline constexpr std::size_t kLinkSecretChars = 43; // unpadded base64url
inline constexpr std::size_t kShareIdChars = 22;
inline constexpr std::size_t kMaxLinkLength = 2048;
inline constexpr std::string_view kAppScheme = "onetimeshare";

// Key schedule ---------------------------------------------------------------------------------
inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kArgonSaltBytes = 16;
inline constexpr std::size_t kArgonOutputBytes = 32;
// Defaults: RFC 9106 §4 second recommended option (t=3, m=64 MiB, p=4).
inline constexpr std::uint32_t kArgonDefaultIterations = 3;
inline constexpr std::uint32_t kArgonDefaultMemoryKiB = 64 * 1024;
inline constexpr std::uint32_t kArgonDefaultParallelism = 4;
// A client refuses a share whose stored parameters fall below the floor (a relay must not be able to
// weaken a password) or rise above the ceiling (a relay must not be able to exhaust the client).
inline constexpr std::uint32_t kArgonMinIterations = 3;
inline constexpr std::uint32_t kArgonMinMemoryKiB = 64 * 1024;
inline constexpr std::uint32_t kArgonMinParallelism = 1;
inline constexpr std::uint32_t kArgonMaxIterations = 64;
inline constexpr std::uint32_t kArgonMaxMemoryKiB = 4 * 1024 * 1024; // 4 GiB
inline constexpr std::uint32_t kArgonMaxParallelism = 64;
inline constexpr std::size_t kMaxPasswordBytes = 4096;
inline constexpr std::string_view kPasswordLabel = "onetimeshare/v1/password";
// crypto_kdf context: exactly 8 bytes, carries the version.
inline constexpr char kKdfContext[9] = "OTSv1key";
inline constexpr std::uint64_t kSubkeyStream = 1;
inline constexpr std::uint64_t kSubkeyMetadata = 2;
inline constexpr std::uint64_t kSubkeyAuthSeed = 3;
inline constexpr std::uint64_t kSubkeyCommit = 4;
inline constexpr std::uint64_t kSubkeyHeaderMac = 5;
// Derived from the link secret S, never from K: it proves "holds the link" and says nothing about a
// password, so the relay can check it before it counts an attempt (SPEC.md §3.5).
inline constexpr std::uint64_t kSubkeyLinkSeed = 6;

// Download proof -------------------------------------------------------------------------------
inline constexpr std::string_view kProofLabel = "onetimeshare/v1/download-proof";
inline constexpr std::string_view kLinkProofLabel = "onetimeshare/v1/link-proof";
inline constexpr std::size_t kChallengeNonceBytes = 32;
inline constexpr std::size_t kAuthPublicKeyBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;

// Stream format --------------------------------------------------------------------------------
inline constexpr std::uint8_t kStreamMagic[4] = {'O', 'T', 'S', 'S'};
inline constexpr std::uint8_t kStreamVersion = 1;
inline constexpr std::string_view kCommitLabel = "onetimeshare/v1/stream-key-commitment";
inline constexpr std::size_t kCommitBytes = 32;
inline constexpr std::size_t kSecretstreamHeaderBytes = 24;
inline constexpr std::size_t kHeaderMacBytes = 32;
// magic 4 | version 1 | reserved 3 | padded size 8 | commitment 32 | secretstream header 24 | MAC 32
inline constexpr std::size_t kStreamHeaderBytes =
    4 + 1 + 3 + 8 + kCommitBytes + kSecretstreamHeaderBytes + kHeaderMacBytes;
inline constexpr std::size_t kChunkPlainBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kChunkIndexBytes = 8;
inline constexpr std::size_t kChunkTagBytes = 17; // crypto_secretstream_xchacha20poly1305_ABYTES
inline constexpr std::size_t kChunkFrameBytes = kChunkIndexBytes + kChunkPlainBytes + kChunkTagBytes;
inline constexpr std::size_t kLengthPrefixBytes = 8;
// Short secrets (API keys, passwords) all pad to the same size.
inline constexpr std::uint64_t kMinPaddedBytes = 4096;
// 2^50 bytes (1 PiB): far above any real share, far below any counter or size_t limit.
inline constexpr std::uint64_t kMaxPayloadBytes = std::uint64_t{1} << 50;

// Metadata envelope ----------------------------------------------------------------------------
inline constexpr std::uint8_t kMetadataVersion = 1;
inline constexpr std::string_view kMetadataLabel = "onetimeshare/v1/metadata";
inline constexpr std::size_t kMetadataNonceBytes = 24;
inline constexpr std::size_t kMetadataTagBytes = 16;
inline constexpr std::size_t kMetadataBlockBytes = 256; // plaintext padded to a multiple of this
inline constexpr std::size_t kMaxMetadataPlainBytes = std::size_t{1024} * 1024;

// Container ------------------------------------------------------------------------------------
inline constexpr std::uint8_t kContainerMagic[4] = {'O', 'T', 'S', 'C'};
inline constexpr std::uint8_t kContainerVersion = 1;
inline constexpr std::size_t kContainerHeaderBytes = 8;
inline constexpr std::uint8_t kEntryEnd = 0;
inline constexpr std::uint8_t kEntryDirectory = 1;
inline constexpr std::uint8_t kEntryFile = 2;
inline constexpr std::uint8_t kEntrySymlinkReserved = 3; // never written, always rejected
// type 1 | flags 1 | mode 4 | size 8 | mtime 8 | path length 2 = 24, then the path
inline constexpr std::size_t kEntryFixedBytes = 1 + 1 + 4 + 8 + 8 + 2;
inline constexpr std::uint32_t kModeMask = 0777;
inline constexpr std::size_t kMaxPathBytes = 4096;
inline constexpr std::size_t kMaxComponentBytes = 255;
inline constexpr std::size_t kMaxEntries = 1'000'000;
inline constexpr std::size_t kMaxTotalPathBytes = std::size_t{64} * 1024 * 1024;

} // namespace ots::format
