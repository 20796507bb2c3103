#include "ots/Padding.h"

#include "ots/Format.h"

#include <algorithm>
#include <bit>

namespace ots::padding {

std::uint64_t padme(std::uint64_t length) noexcept {
    if (length < 2)
        return length;
    const auto exponent = static_cast<unsigned>(std::bit_width(length) - 1);  // floor(log2 L)
    const auto significant = static_cast<unsigned>(std::bit_width(exponent)); // floor(log2 E) + 1
    const unsigned droppedBits = exponent - significant;
    const std::uint64_t mask = (std::uint64_t{1} << droppedBits) - 1;
    return (length + mask) & ~mask;
}

std::uint64_t paddedSize(std::uint64_t payloadBytes) noexcept {
    return std::max(padme(format::kLengthPrefixBytes + payloadBytes), format::kMinPaddedBytes);
}

} // namespace ots::padding
