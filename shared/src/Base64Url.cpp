#include "ots/Base64Url.h"

#include <sodium.h>

namespace ots::base64url {

namespace {

bool isAlphabet(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

} // namespace

// libsodium already rejects non-zero trailing bits; the explicit alphabet and length checks keep the
// rule independent of its version.
bool decodeInto(std::string_view text, std::span<std::uint8_t> out) noexcept {
    if (text.size() != encodedLength(out.size()))
        return false;
    for (char c : text) {
        if (!isAlphabet(c))
            return false;
    }
    std::size_t written = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    return written == out.size() && end == text.data() + text.size();
}

void appendTo(std::string& out, std::span<const std::uint8_t> bytes) {
    const std::size_t start = out.size();
    const std::size_t withNul =
        sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(start + withNul);
    sodium_bin2base64(out.data() + start, withNul, bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(start + encodedLength(bytes.size()));
}

std::string encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve(encodedLength(bytes.size()) + 1);
    appendTo(out, bytes);
    return out;
}

Result<std::vector<std::uint8_t>> decode(std::string_view text, std::size_t expectedBytes) {
    std::vector<std::uint8_t> out(expectedBytes);
    if (!decodeInto(text, out))
        return Errc::Base64Invalid;
    return out;
}

Result<SecretBuffer> decodeSecret(std::string_view text, std::size_t expectedBytes) {
    SecretBuffer out(expectedBytes);
    if (!decodeInto(text, out.span()))
        return Errc::Base64Invalid;
    return out;
}

} // namespace ots::base64url
