#pragma once

// Size padding inside the stream (SPEC.md §4.3): the relay sees a bucketed size, not the exact one.

#include <cstdint>

namespace ots::padding {

/// Padmé (Nikitin et al., PETS 2019): rounds L up so that only O(log log L) bits of it remain,
/// costing at most ~12 % and typically under 3 %.
[[nodiscard]] std::uint64_t padme(std::uint64_t length) noexcept;

/// Padded plaintext size of a v1 stream carrying payloadBytes: max(Padmé(8 + L), 4096).
[[nodiscard]] std::uint64_t paddedSize(std::uint64_t payloadBytes) noexcept;

} // namespace ots::padding
