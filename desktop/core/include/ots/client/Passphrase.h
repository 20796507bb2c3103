#pragma once

// Generated passphrases and a rough strength estimate for typed passwords.
//
// A generated passphrase is 6 groups of 5 characters from a 32-character alphabet without look-alikes
// (no 0/o, 1/l; lower case only), hyphen-separated: "k7m2q-xw9ta-…". Each character carries exactly 5 bits
// from the OS CSPRNG, so the passphrase has 150 bits — far beyond what Argon2id plus the relay's attempt
// limit need, and easy to read aloud or type from a phone.

#include <QString>

namespace ots::client {

/// The characters a generated passphrase is made of (32 of them).
[[nodiscard]] QString passphraseAlphabet();
/// A fresh 150-bit passphrase: 6 hyphen-separated groups of 5 characters.
[[nodiscard]] QString generatePassphrase();
/// True when text has the exact shape generatePassphrase() produces.
[[nodiscard]] bool looksGenerated(const QString& text);

enum class PasswordStrength { Empty, Weak, Fair, Good, Strong };

/// A conservative estimate of the bits an attacker must guess: the character pool the password draws
/// from, with repeated characters, runs ("abcd", "4321"), and very common passwords counted as almost
/// free. A generated passphrase counts as its full 150 bits. Meant for a hint next to a password field,
/// not as a guarantee.
[[nodiscard]] double estimatePasswordBits(const QString& password);
/// Empty (0 bits), Weak (< 40), Fair (< 60), Good (< 80), Strong (80 and more).
[[nodiscard]] PasswordStrength passwordStrength(const QString& password);
/// "weak", "fair", "good", "strong" (or "empty") for people.
[[nodiscard]] QString passwordStrengthName(PasswordStrength strength);

} // namespace ots::client
