#include "ots/client/Passphrase.h"

#include "ots/Crypto.h"

#include <QSet>
#include <QStringList>

#include <array>
#include <cmath>
#include <cstdint>

namespace ots::client {

namespace {

// 24 letters (no l, o) and 8 digits (no 0, 1): 32 characters, 5 bits each, nothing to confuse.
constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
constexpr int kAlphabetSize = 32;
static_assert(sizeof(kAlphabet) - 1 == kAlphabetSize);
constexpr std::size_t kGroups = 6;
constexpr std::size_t kGroupLength = 5;
constexpr std::size_t kCharacters = kGroups * kGroupLength;
constexpr double kGeneratedBits = static_cast<double>(kCharacters) * 5.0;

// Passwords that head every leaked-password list: an attacker tries these first.
bool isCommonPassword(const QString& lower) {
    static const QSet<QString> common = {
        QStringLiteral("password"),  QStringLiteral("123456"),     QStringLiteral("12345678"),
        QStringLiteral("123456789"), QStringLiteral("qwerty"),     QStringLiteral("abc123"),
        QStringLiteral("111111"),    QStringLiteral("letmein"),    QStringLiteral("iloveyou"),
        QStringLiteral("admin"),     QStringLiteral("welcome"),    QStringLiteral("monkey"),
        QStringLiteral("dragon"),    QStringLiteral("football"),   QStringLiteral("passw0rd"),
        QStringLiteral("password1"), QStringLiteral("qwertyuiop"), QStringLiteral("secret"),
        QStringLiteral("sunshine"),  QStringLiteral("princess"),   QStringLiteral("1234567890")};
    return common.contains(lower);
}

int poolSize(const QString& password) {
    bool lower = false;
    bool upper = false;
    bool digit = false;
    bool symbol = false;
    bool other = false;
    for (const QChar c : password) {
        const char16_t u = c.unicode();
        if (u >= u'a' && u <= u'z')
            lower = true;
        else if (u >= u'A' && u <= u'Z')
            upper = true;
        else if (u >= u'0' && u <= u'9')
            digit = true;
        else if (u >= 0x20 && u < 0x7f)
            symbol = true;
        else
            other = true;
    }
    return (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (symbol ? 33 : 0) + (other ? 100 : 0);
}

} // namespace

QString passphraseAlphabet() {
    return QString::fromLatin1(kAlphabet, kAlphabetSize);
}

QString generatePassphrase() {
    std::array<std::uint8_t, kCharacters> random{};
    ots::randomBytes(random);
    QString out;
    constexpr qsizetype kLength = static_cast<qsizetype>(kCharacters + kGroups - 1);
    out.reserve(kLength);
    for (std::size_t i = 0; i < kCharacters; ++i) {
        if (i > 0 && i % kGroupLength == 0)
            out += QLatin1Char('-');
        // 256 is a multiple of 32, so the low five bits of a uniform byte are uniform: no bias.
        out += QLatin1Char(kAlphabet[random[i] % kAlphabetSize]);
    }
    random.fill(0);
    return out;
}

bool looksGenerated(const QString& text) {
    const QStringList groups = text.split(QLatin1Char('-'));
    if (static_cast<std::size_t>(groups.size()) != kGroups)
        return false;
    const QString alphabet = passphraseAlphabet();
    for (const QString& group : groups) {
        if (static_cast<std::size_t>(group.size()) != kGroupLength)
            return false;
        for (const QChar c : group)
            if (!alphabet.contains(c))
                return false;
    }
    return true;
}

double estimatePasswordBits(const QString& password) {
    if (password.isEmpty())
        return 0.0;
    if (looksGenerated(password))
        return kGeneratedBits;
    if (isCommonPassword(password.toLower()))
        return 1.0;
    const double perCharacter = std::log2(static_cast<double>(std::max(poolSize(password), 2)));
    double bits = 0.0;
    QSet<char16_t> seen;
    for (qsizetype i = 0; i < password.size(); ++i) {
        const char16_t current = password.at(i).unicode();
        bool predictable = false;
        if (i > 0) {
            const int step = static_cast<int>(current) - static_cast<int>(password.at(i - 1).unicode());
            predictable = step >= -1 && step <= 1; // "aaaa", "abcd", "4321"
        }
        if (predictable)
            bits += 1.0;
        else if (seen.contains(current))
            bits += perCharacter / 2.0; // reuse of a character already in the password
        else
            bits += perCharacter;
        seen.insert(current);
    }
    return bits;
}

PasswordStrength passwordStrength(const QString& password) {
    if (password.isEmpty())
        return PasswordStrength::Empty;
    const double bits = estimatePasswordBits(password);
    if (bits < 40.0)
        return PasswordStrength::Weak;
    if (bits < 60.0)
        return PasswordStrength::Fair;
    if (bits < 80.0)
        return PasswordStrength::Good;
    return PasswordStrength::Strong;
}

QString passwordStrengthName(PasswordStrength strength) {
    switch (strength) {
    case PasswordStrength::Empty:
        return QStringLiteral("empty");
    case PasswordStrength::Weak:
        return QStringLiteral("weak");
    case PasswordStrength::Fair:
        return QStringLiteral("fair");
    case PasswordStrength::Good:
        return QStringLiteral("good");
    case PasswordStrength::Strong:
        return QStringLiteral("strong");
    }
    return QStringLiteral("weak");
}

} // namespace ots::client
