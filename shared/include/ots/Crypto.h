#pragma once

// Start-up of the cryptography: sodium_init plus known-answer self-tests of every primitive the
// format uses. Until initialize() has succeeded, every key-deriving, encrypting or decrypting entry
// point of ots::shared refuses to run (Errc::NotInitialized), so a broken build cannot produce
// ciphertext that only looks right.

#include "ots/Result.h"

#include <cstdint>
#include <span>

namespace ots {

/// Idempotent and thread-safe. Returns the same result on every call.
[[nodiscard]] Status initialize();
[[nodiscard]] bool isInitialized() noexcept;

/// Fills out with bytes from the OS CSPRNG (randombytes_buf).
void randomBytes(std::span<std::uint8_t> out) noexcept;

namespace selftest {
/// The individual known-answer tests, exposed so the test suite can run them by name.
[[nodiscard]] bool blake2b() noexcept;
[[nodiscard]] bool xchacha20poly1305() noexcept;
[[nodiscard]] bool ed25519() noexcept;
[[nodiscard]] bool argon2id() noexcept;
[[nodiscard]] bool kdf() noexcept;
[[nodiscard]] bool secretstream() noexcept;
} // namespace selftest

} // namespace ots
