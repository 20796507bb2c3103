#pragma once

// The 104-byte header in front of every v1 stream (SPEC.md §4.1).

#include "ots/Bytes.h"
#include "ots/Format.h"
#include "ots/Result.h"

#include <array>
#include <cstdint>

namespace ots {

struct StreamHeader {
    std::uint8_t version = format::kStreamVersion;
    std::array<std::uint8_t, 3> reserved{};
    std::uint64_t paddedSize = 0;
    std::array<std::uint8_t, format::kCommitBytes> commitment{};
    std::array<std::uint8_t, format::kSecretstreamHeaderBytes> secretstreamHeader{};
    std::array<std::uint8_t, format::kHeaderMacBytes> mac{};

    /// Structural parse of exactly kStreamHeaderBytes: checks magic (StreamBadMagic) and version
    /// (StreamUnsupportedVersion) only. Authentication is the decryptor's job.
    [[nodiscard]] static Result<StreamHeader> parse(ByteView bytes);
    /// The bytes parse() would accept for this header.
    [[nodiscard]] std::array<std::uint8_t, format::kStreamHeaderBytes> serialize() const noexcept;
    /// The bytes the MAC covers: everything before the MAC field.
    static constexpr std::size_t kMacInputBytes = format::kStreamHeaderBytes - format::kHeaderMacBytes;
};

} // namespace ots
