#pragma once

// Internal: the arithmetic and keyed hashes that the stream encryptor and decryptor must agree on.

#include "ots/Format.h"
#include "ots/KeySchedule.h"
#include "ots/StreamHeader.h"

#include <sodium.h>

#include <array>
#include <cstdint>

namespace ots::layout {

[[nodiscard]] inline std::uint64_t chunkCount(std::uint64_t paddedSize) noexcept {
    return (paddedSize + format::kChunkPlainBytes - 1) / format::kChunkPlainBytes;
}

[[nodiscard]] inline std::size_t chunkPlainSize(std::uint64_t paddedSize, std::uint64_t index) noexcept {
    const std::uint64_t last = chunkCount(paddedSize) - 1;
    if (index < last)
        return format::kChunkPlainBytes;
    return static_cast<std::size_t>(paddedSize - last * format::kChunkPlainBytes);
}

[[nodiscard]] inline std::array<std::uint8_t, format::kCommitBytes>
commitment(const ShareKeys& keys) noexcept {
    std::array<std::uint8_t, format::kCommitBytes> out{};
    crypto_generichash(out.data(), out.size(),
                       reinterpret_cast<const unsigned char*>(format::kCommitLabel.data()),
                       format::kCommitLabel.size(), keys.commitKey().data(), keys.commitKey().size());
    return out;
}

[[nodiscard]] inline std::array<std::uint8_t, format::kHeaderMacBytes>
headerMac(const ShareKeys& keys, const std::uint8_t* macInput) noexcept {
    std::array<std::uint8_t, format::kHeaderMacBytes> out{};
    crypto_generichash(out.data(), out.size(), macInput, StreamHeader::kMacInputBytes,
                       keys.headerMacKey().data(), keys.headerMacKey().size());
    return out;
}

} // namespace ots::layout
