#include "ots/client/DisplayText.h"

#include <QChar>

#include <array>

namespace ots::client {

namespace {

bool needsEscape(char32_t codePoint, LineBreaks lineBreaks) {
    if (lineBreaks == LineBreaks::Keep && (codePoint == U'\n' || codePoint == U'\t'))
        return false;
    if (codePoint < 0x20 || (codePoint >= 0x7F && codePoint <= 0x9F))
        return true;
    if (codePoint == 0x2028 || codePoint == 0x2029)
        return true;
    switch (QChar::category(codePoint)) {
    case QChar::Other_Format:
    case QChar::Other_Surrogate:
    case QChar::Other_Control:
        return true;
    default:
        return false;
    }
}

QString escapeOf(char32_t codePoint) {
    if (codePoint <= 0xFF)
        return QStringLiteral("\\x%1").arg(static_cast<uint>(codePoint), 2, 16, QLatin1Char('0'));
    if (codePoint <= 0xFFFF)
        return QStringLiteral("\\u%1").arg(static_cast<uint>(codePoint), 4, 16, QLatin1Char('0'));
    return QStringLiteral("\\U%1").arg(static_cast<uint>(codePoint), 8, 16, QLatin1Char('0'));
}

/// The code point at text[pos] and how many UTF-16 units it takes; an unpaired surrogate is itself.
char32_t codePointAt(QStringView text, qsizetype pos, qsizetype& units) {
    const QChar first = text[pos];
    if (first.isHighSurrogate() && pos + 1 < text.size() && text[pos + 1].isLowSurrogate()) {
        units = 2;
        return QChar::surrogateToUcs4(first, text[pos + 1]);
    }
    units = 1;
    return first.unicode();
}

} // namespace

QString visibleText(QStringView text, LineBreaks lineBreaks, qsizetype maxChars) {
    static const QString kEllipsis = QStringLiteral("…");
    QString out;
    out.reserve(qMin(text.size(), maxChars) + 16);
    for (qsizetype pos = 0; pos < text.size();) {
        qsizetype units = 1;
        const char32_t codePoint = codePointAt(text, pos, units);
        const QString piece =
            needsEscape(codePoint, lineBreaks) ? escapeOf(codePoint) : text.sliced(pos, units).toString();
        if (out.size() + piece.size() > maxChars - kEllipsis.size() &&
            (pos + units < text.size() || out.size() + piece.size() > maxChars)) {
            out += kEllipsis;
            return out;
        }
        out += piece;
        pos += units;
    }
    return out;
}

bool isInvisible(char32_t codePoint) {
    return needsEscape(codePoint, LineBreaks::Escape);
}

QString formatDuration(std::int64_t seconds) {
    if (seconds <= 0)
        return QStringLiteral("0 s");
    constexpr std::int64_t kMinute = 60;
    constexpr std::int64_t kHour = 3600;
    constexpr std::int64_t kDay = 86400;
    const auto days = [](std::int64_t n) {
        return n == 1 ? QStringLiteral("1 day") : QStringLiteral("%1 days").arg(n);
    };
    // The largest unit and, when the rest is not zero, the next one: "1 h 30 min", "7 days", "2 days 3 h".
    if (seconds < kMinute)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < kHour) {
        const std::int64_t rest = seconds % kMinute;
        return rest == 0 ? QStringLiteral("%1 min").arg(seconds / kMinute)
                         : QStringLiteral("%1 min %2 s").arg(seconds / kMinute).arg(rest);
    }
    if (seconds < kDay) {
        const std::int64_t rest = (seconds % kHour) / kMinute;
        return rest == 0 ? QStringLiteral("%1 h").arg(seconds / kHour)
                         : QStringLiteral("%1 h %2 min").arg(seconds / kHour).arg(rest);
    }
    const std::int64_t rest = (seconds % kDay) / kHour;
    return rest == 0 ? days(seconds / kDay) : QStringLiteral("%1 %2 h").arg(days(seconds / kDay)).arg(rest);
}

QString formatBytes(std::uint64_t bytes) {
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(bytes);
    static const std::array<QString, 6> units = {QStringLiteral("KiB"), QStringLiteral("MiB"),
                                                 QStringLiteral("GiB"), QStringLiteral("TiB"),
                                                 QStringLiteral("PiB"), QStringLiteral("EiB")};
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    // Step up while the value would print as 1024.0 or more ("1023.96 KiB" reads as "1.0 MiB").
    while (value >= 1023.95 && unit + 1 < units.size()) {
        value /= 1024.0;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(QString::number(value, 'f', 1), units[unit]);
}

} // namespace ots::client
