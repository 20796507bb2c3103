#include "ots/client/DisplayText.h"

#include <QChar>

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

bool hasInvisibleCharacters(QStringView text, LineBreaks lineBreaks) {
    for (qsizetype pos = 0; pos < text.size();) {
        qsizetype units = 1;
        if (needsEscape(codePointAt(text, pos, units), lineBreaks))
            return true;
        pos += units;
    }
    return false;
}

} // namespace ots::client
