#pragma once

// Little helpers for byte buffers shared by the stream and container code.

#include "ots/Result.h"

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace ots {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// Where a streaming stage writes its output. Returning an error stops the stage, which returns it.
using ByteSink = std::function<Status(ByteView)>;

inline void appendLe(Bytes& out, std::uint64_t value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i)
        out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

inline void storeLe64(std::uint8_t* out, std::uint64_t value) noexcept {
    for (std::size_t i = 0; i < 8; ++i)
        out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

[[nodiscard]] inline std::uint64_t loadLe(const std::uint8_t* in, std::size_t width) noexcept {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i)
        value |= std::uint64_t{in[i]} << (8 * i);
    return value;
}

} // namespace ots
