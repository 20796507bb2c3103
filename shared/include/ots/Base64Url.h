#pragma once

// Unpadded base64url (RFC 4648 §5), the only text encoding of ids and secrets in links.
// Decoding is strict: no padding, no whitespace, and only the canonical encoding of a value is
// accepted (unused low bits of the last character must be zero), so each value has one spelling.

#include "ots/Result.h"
#include "ots/SecretBuffer.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ots::base64url {

[[nodiscard]] std::string encode(std::span<const std::uint8_t> bytes);
/// Length of the unpadded encoding of n bytes.
[[nodiscard]] constexpr std::size_t encodedLength(std::size_t n) noexcept {
    return (n * 4 + 2) / 3;
}

/// Decodes exactly expectedBytes bytes; anything else (length, alphabet, non-canonical) fails.
[[nodiscard]] Result<std::vector<std::uint8_t>> decode(std::string_view text, std::size_t expectedBytes);
/// Decodes exactly out.size() bytes into out, with the rules of decode(); no allocation.
[[nodiscard]] bool decodeInto(std::string_view text, std::span<std::uint8_t> out) noexcept;
/// Appends the encoding to out in place, so that no temporary string ever holds the bytes (for secrets).
void appendTo(std::string& out, std::span<const std::uint8_t> bytes);
/// Same as decode, straight into secure memory.
[[nodiscard]] Result<SecretBuffer> decodeSecret(std::string_view text, std::size_t expectedBytes);

} // namespace ots::base64url
