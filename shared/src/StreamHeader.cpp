#include "ots/StreamHeader.h"

#include <cstring>

namespace ots {

namespace {
constexpr std::size_t kVersionOffset = 4;
constexpr std::size_t kReservedOffset = 5;
constexpr std::size_t kPaddedSizeOffset = 8;
constexpr std::size_t kCommitOffset = 16;
constexpr std::size_t kSecretstreamOffset = kCommitOffset + format::kCommitBytes;
constexpr std::size_t kMacOffset = kSecretstreamOffset + format::kSecretstreamHeaderBytes;
static_assert(kMacOffset + format::kHeaderMacBytes == format::kStreamHeaderBytes);
static_assert(kMacOffset == StreamHeader::kMacInputBytes);
} // namespace

Result<StreamHeader> StreamHeader::parse(ByteView bytes) {
    if (bytes.size() < sizeof format::kStreamMagic ||
        std::memcmp(bytes.data(), format::kStreamMagic, sizeof format::kStreamMagic) != 0)
        return Errc::StreamBadMagic;
    if (bytes.size() <= kVersionOffset)
        return Errc::StreamTruncated;
    if (bytes[kVersionOffset] != format::kStreamVersion)
        return Errc::StreamUnsupportedVersion;
    if (bytes.size() != format::kStreamHeaderBytes)
        return Errc::StreamTruncated;

    StreamHeader header;
    header.version = bytes[kVersionOffset];
    std::memcpy(header.reserved.data(), bytes.data() + kReservedOffset, header.reserved.size());
    header.paddedSize = loadLe(bytes.data() + kPaddedSizeOffset, 8);
    std::memcpy(header.commitment.data(), bytes.data() + kCommitOffset, header.commitment.size());
    std::memcpy(header.secretstreamHeader.data(), bytes.data() + kSecretstreamOffset,
                header.secretstreamHeader.size());
    std::memcpy(header.mac.data(), bytes.data() + kMacOffset, header.mac.size());
    return header;
}

std::array<std::uint8_t, format::kStreamHeaderBytes> StreamHeader::serialize() const noexcept {
    std::array<std::uint8_t, format::kStreamHeaderBytes> out{};
    std::memcpy(out.data(), format::kStreamMagic, sizeof format::kStreamMagic);
    out[kVersionOffset] = version;
    std::memcpy(out.data() + kReservedOffset, reserved.data(), reserved.size());
    storeLe64(out.data() + kPaddedSizeOffset, paddedSize);
    std::memcpy(out.data() + kCommitOffset, commitment.data(), commitment.size());
    std::memcpy(out.data() + kSecretstreamOffset, secretstreamHeader.data(), secretstreamHeader.size());
    std::memcpy(out.data() + kMacOffset, mac.data(), mac.size());
    return out;
}

} // namespace ots
